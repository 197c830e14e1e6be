/**
 * EXECUTION_ENV_PATH (spec §10): a model's own Python environment, as an unpacked directory (with
 * `$$TRITON_MODEL_DIRECTORY`) or a conda-pack style .tar.gz unpacked once; its interpreter runs the
 * stub with its bin first on PATH. The environments here are a bin/python3 link to the system
 * interpreter (so numpy is there), which is all a stub needs from one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInferenceServer } from '../../src/index.js';
import { pythonInterpreter } from '../../src/backends/python/interpreter.js';
import { makeRepo } from '../support/temp-repo.js';

const WHERE_MODEL = `
import os
import sys

import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        where = f"{sys.executable}|{os.environ['PATH'].split(':')[0]}".encode()
        return [pb_utils.InferenceResponse([pb_utils.Tensor("WHERE", np.array([where], dtype=np.object_))]) for _ in requests]
`;

function config(envPath: string): string {
  return [
    'backend: "python"', 'max_batch_size: 0',
    'input [ { name: "X" data_type: TYPE_INT32 dims: [ 1 ] } ]', 'output [ { name: "WHERE" data_type: TYPE_STRING dims: [ 1 ] } ]',
    `parameters { key: "EXECUTION_ENV_PATH" value: { string_value: "${envPath}" } }`,
  ].join('\n');
}

test('an unpacked environment under $$TRITON_MODEL_DIRECTORY and a .tar.gz one run their own interpreter', async () => {
  const repo = makeRepo({
    'in_dir/config.pbtxt': config('$$TRITON_MODEL_DIRECTORY/env'),
    'in_dir/1/model.py': WHERE_MODEL,
    'packed/config.pbtxt': '',
    'packed/1/model.py': WHERE_MODEL,
    'missing/config.pbtxt': config('$$TRITON_MODEL_DIRECTORY/nowhere'),
    'missing/1/model.py': WHERE_MODEL,
  });
  const system = pythonInterpreter({});
  mkdirSync(join(repo.dir, 'in_dir', 'env', 'bin'), { recursive: true });
  symlinkSync(system, join(repo.dir, 'in_dir', 'env', 'bin', 'python3'));
  // A conda-pack archive holds the environment's contents at its top level.
  const archive = join(repo.dir, 'packed', 'env.tar.gz');
  execFileSync('tar', ['-czf', archive, '-C', join(repo.dir, 'in_dir', 'env'), 'bin']);
  writeFileSync(join(repo.dir, 'packed', 'config.pbtxt'), config(archive));
  const { server, failedModels } = await createInferenceServer({ modelRepository: repo.dir, exitOnError: false });
  try {
    assert.deepEqual(failedModels, ['missing']);
    assert.match(server.repositoryIndex().find((e) => e.name === 'missing')?.reason ?? '',
      /EXECUTION_ENV_PATH '.*\/missing\/nowhere' of model 'missing': no such file or directory/);
    const where = async (model: string): Promise<string[]> => {
      const r = await server.infer({ modelName: model, inputs: [{ name: 'X', datatype: 'INT32', shape: [1], data: new Uint8Array(4) }] });
      // BYTES: uint32 length prefix, then the element.
      return Buffer.from(r.outputs[0]!.data.subarray(4)).toString('utf8').split('|');
    };
    assert.deepEqual(await where('in_dir'), [join(repo.dir, 'in_dir', 'env', 'bin', 'python3'), join(repo.dir, 'in_dir', 'env', 'bin')]);
    const [exe, path] = await where('packed');
    assert.match(exe!, /inferd-python-envs\/[0-9a-f]{16}\/bin\/python3$/);
    assert.equal(path, exe!.replace(/\/python3$/, ''));
    // The unpacked copy is keyed by this temp archive: nothing will reuse it.
    rmSync(dirname(dirname(exe!)), { recursive: true, force: true });
  } finally {
    await server.shutdown();
    repo.cleanup();
  }
});
