/**
 * A repository of 100 tiny ONNX models (auto-completed: 2 instances each) in one process: all READY,
 * correct answers, and the process's threads bounded by the session pool, not by the model count (one
 * worker thread per instance made that 200 threads more).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { identityModel } from '../../../../scripts/onnx-builder.js';
import { createInferenceServer, Logger } from '../../src/index.js';
import { makeRepo, type RepoFiles } from '../support/temp-repo.js';
import { readF32 } from './helpers.js';

const MODELS = 100;
const POOL = 2;
/** Threads Node and ONNX Runtime may add besides the pool (libuv's fs pool of 4, V8's platform workers start earlier). */
const SLACK = 8;

const threads = (): number => readdirSync('/proc/self/task').length;

test(`${MODELS} tiny ONNX models with 2 instances each: all READY, right answers, threads <= pool + ${SLACK}`, async () => {
  const files: RepoFiles = {};
  for (let i = 0; i < MODELS; i++) {
    files[`tiny_${i}/config.pbtxt`] = 'backend: "onnxruntime"\n';
    files[`tiny_${i}/1/model.onnx`] = identityModel('FLOAT', [4], { input: 'x', output: 'y' });
  }
  const repo = makeRepo(files);
  const before = threads();
  const { server, failedModels } = await createInferenceServer({
    modelRepository: repo.dir, logger: new Logger({ info: false }), backendConfig: [`onnxruntime,worker-threads=${POOL}`],
  });
  try {
    assert.deepEqual(failedModels, []);
    for (let i = 0; i < MODELS; i++) {
      const name = `tiny_${i}`;
      assert.equal(await server.modelReady(name), true, name);
      const config = server.modelConfig(name) as { instance_group?: { count?: number }[] };
      assert.equal(config.instance_group?.[0]?.count, 2, name);
      const x = new Float32Array([i, -i, i / 2, 1]);
      const r = await server.infer({ modelName: name, inputs: [{ name: 'x', datatype: 'FP32', shape: [4], data: new Uint8Array(x.buffer) }] });
      assert.equal(r.error, undefined);
      assert.deepEqual(readF32(r.outputs[0]!.data), [...x], name);
    }
    const after = threads();
    assert.ok(after <= before + POOL + SLACK, `${after} threads with ${MODELS} models loaded (${before} before)`);
  } finally {
    await server.shutdown();
    repo.cleanup();
  }
});
