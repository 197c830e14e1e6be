/**
 * No orphan stubs: when the server process is killed outright (SIGKILL, no shutdown), its stubs go
 * too, even one busy inside execute (PR_SET_PDEATHSIG, and EOF on the channel as a fallback).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeRepo } from '../support/temp-repo.js';
import { processExists } from './support.js';

const BUSY_MODEL = `
import os
import time

import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        mode = int(pb_utils.get_input_tensor_by_name(requests[0], "X").as_numpy()[0])
        if mode == 1:
            time.sleep(60)
        return [pb_utils.InferenceResponse([pb_utils.Tensor("PID", np.array([os.getpid()], np.int32))]) for _ in requests]
`;

const SERVER = (repo: string, src: string) => `
import { createInferenceServer } from ${JSON.stringify(src)};
const { server } = await createInferenceServer({ modelRepository: ${JSON.stringify(repo)} });
const run = (x) => server.infer({ modelName: 'busy', inputs: [{ name: 'X', datatype: 'INT32', shape: [1], data: new Uint8Array(new Int32Array([x]).buffer) }] });
const r = await run(0);
process.stdout.write(new Int32Array(r.outputs[0].data.slice().buffer)[0] + '\\n');
run(1).catch(() => {});
`;

test('killing the server process (SIGKILL) takes its stubs down, even one inside execute', async () => {
  const repo = makeRepo({
    'busy/config.pbtxt': 'backend: "python"\nmax_batch_size: 0\ninput [ { name: "X" data_type: TYPE_INT32 dims: [ 1 ] } ]\noutput [ { name: "PID" data_type: TYPE_INT32 dims: [ 1 ] } ]',
    'busy/1/model.py': BUSY_MODEL,
  });
  const script = join(repo.dir, 'server.mts');
  writeFileSync(script, SERVER(repo.dir, fileURLToPath(new URL('../../src/index.ts', import.meta.url))));
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const pid = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(Number(out.split('\n')[0]));
      });
      child.on('exit', (code) => reject(new Error(`server exited early (${code})`)));
    });
    assert.ok(pid > 0 && processExists(pid));
    await sleep(300); // the stub is now inside the 60 s execute
    child.kill('SIGKILL');
    for (let i = 0; i < 100 && processExists(pid); i++) await sleep(20);
    assert.equal(processExists(pid), false, `stub ${pid} outlived its server`);
  } finally {
    child.kill('SIGKILL');
    repo.cleanup();
  }
});
