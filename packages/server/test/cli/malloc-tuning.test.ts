/**
 * bin/inferd sets glibc's malloc tunables before Node starts (bin/malloc-tuning.sh): the throughput profile by
 * default, the memory profile when the serve flags bound the loaded models, nothing when the user set
 * GLIBC_TUNABLES (even empty) or INFERD_MALLOC_TUNING=off. The launcher execs Node (same process), and the
 * Python stubs the server starts do not inherit the server's tuning (a user's own tunables they do).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { startPython } from '../python/support.js';

const bin = fileURLToPath(new URL('../../bin/', import.meta.url));
const THROUGHPUT = 'glibc.malloc.hugetlb=1:glibc.malloc.trim_threshold=67108864:glibc.malloc.mmap_threshold=33554432';
const MEMORY = 'glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072';

/** What inferd_malloc_tuning leaves in GLIBC_TUNABLES for these flags and this environment ('<unset>' if none). */
function tuned(args: readonly string[], env: Record<string, string | undefined> = {}): string {
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) base[k] = v;
  return execFileSync('/bin/sh', ['-c', '. "$0"; inferd_malloc_tuning "$@"; printf %s "${GLIBC_TUNABLES-<unset>}"', `${bin}malloc-tuning.sh`, ...args], {
    env: base, encoding: 'utf8',
  });
}

test('the profile follows the flags; a user\'s GLIBC_TUNABLES or INFERD_MALLOC_TUNING=off wins', () => {
  const nodeOptions = (args: readonly string[], env: Record<string, string> = {}): string => execFileSync('/bin/sh', [
    '-c', '. "$0"; inferd_malloc_tuning "$@"; printf %s "${NODE_OPTIONS-<unset>}"', `${bin}malloc-tuning.sh`, ...args,
  ], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
  assert.equal(nodeOptions(['serve']), '<unset>');
  assert.equal(nodeOptions(['serve', '--model-max-loaded=50']), '--max-semi-space-size=1');
  assert.equal(nodeOptions(['serve', '--model-max-loaded=50'], { NODE_OPTIONS: '--trace-warnings' }), '--trace-warnings --max-semi-space-size=1');
  assert.equal(nodeOptions(['serve', '--model-max-loaded=50'], { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }), '--max-semi-space-size=1');
  assert.equal(nodeOptions(['serve', '--model-max-loaded=50'], { INFERD_MALLOC_TUNING: 'off' }), '<unset>');
  assert.equal(tuned(['serve', '--model-repository', '/m']), THROUGHPUT);
  assert.equal(tuned(['serve', '--model-max-loaded=50']), MEMORY);
  assert.equal(tuned(['serve', '--model-max-loaded', '50']), MEMORY);
  assert.equal(tuned(['serve', '--model-memory-budget=1GB']), MEMORY);
  assert.equal(tuned(['serve'], { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }), 'glibc.malloc.arena_max=2');
  assert.equal(tuned(['serve'], { GLIBC_TUNABLES: '' }), '');
  assert.equal(tuned(['serve'], { INFERD_MALLOC_TUNING: 'off' }), '<unset>');
});

test('bin/inferd and bin/tritonserver exec Node in their own process and answer --version', async () => {
  for (const name of ['inferd', 'tritonserver']) {
    const out = execFileSync(`${bin}${name}`, ['--version'], { encoding: 'utf8' });
    assert.match(out, /inferd \d+\.\d+\.\d+/, `${name} --version`);
  }
  // A long-running process: the PID spawned is Node's (exec), with the marker of the tuning it got.
  const repo = mkdtempSync(join(tmpdir(), 'inferd-malloc-'));
  const child = spawn(`${bin}inferd`, ['serve', '--model-repository', repo, '--http-port', '0', '--grpc-port', '0', '--metrics-port', '0'], { stdio: 'ignore' });
  try {
    let cmdline = '';
    for (let i = 0; i < 100 && !cmdline.includes('inferd.js'); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8');
    }
    assert.match(cmdline, /node\0.*bin\/inferd\.js\0serve/, 'the launcher was replaced by Node (exec)');
    const environ = readFileSync(`/proc/${child.pid}/environ`, 'utf8').split('\0');
    assert.ok(environ.includes(`INFERD_SET_GLIBC_TUNABLES=${THROUGHPUT}`), 'the throughput profile was set');
  } finally {
    child.kill();
    rmSync(repo, { recursive: true, force: true });
  }
});

const ENV_MODEL = `
import os
import numpy as np
import triton_python_backend_utils as pb_utils

class TritonPythonModel:
    def execute(self, requests):
        seen = os.environ.get("GLIBC_TUNABLES", "<unset>").encode()
        return [pb_utils.InferenceResponse([pb_utils.Tensor("T", np.array([seen], dtype=np.object_))]) for _ in requests]
`;

test('a Python stub does not inherit the launcher\'s tuning, but keeps tunables the user set', async () => {
  const saved = { tunables: process.env.GLIBC_TUNABLES, marker: process.env.INFERD_SET_GLIBC_TUNABLES };
  const restore = (): void => {
    for (const [key, value] of [['GLIBC_TUNABLES', saved.tunables], ['INFERD_SET_GLIBC_TUNABLES', saved.marker]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  const files = {
    'env/config.pbtxt': 'backend: "python"\nmax_batch_size: 0\ninput [ { name: "X" data_type: TYPE_FP32 dims: [ 1 ] } ]\n' +
      'output [ { name: "T" data_type: TYPE_STRING dims: [ 1 ] } ]',
    'env/1/model.py': ENV_MODEL,
  };
  const seen = async (): Promise<string> => {
    const h = await startPython(files);
    try {
      const r = await h.server.infer({ modelName: 'env', inputs: [{ name: 'X', datatype: 'FP32', shape: [1], data: new Uint8Array(4) }] });
      assert.equal(r.error, undefined);
      const data = r.outputs[0]!.data;
      return Buffer.from(data.subarray(4)).toString(); // BYTES: a 4-byte length, then the text
    } finally {
      await h.close();
    }
  };
  try {
    process.env.GLIBC_TUNABLES = THROUGHPUT;
    process.env.INFERD_SET_GLIBC_TUNABLES = THROUGHPUT;
    assert.equal(await seen(), '<unset>');
    process.env.GLIBC_TUNABLES = 'glibc.malloc.arena_max=2';
    assert.equal(await seen(), 'glibc.malloc.arena_max=2');
  } finally {
    restore();
  }
});
