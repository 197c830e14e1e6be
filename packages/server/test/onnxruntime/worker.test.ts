import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import backend from '../../src/backends/onnxruntime/index.js';
import { OnnxInstance } from '../../src/backends/onnxruntime/instance.js';
import { ModelPlacement } from '../../src/backends/onnxruntime/model-placement.js';
import { spawnPoolWorker } from '../../src/backends/onnxruntime/pool-thread.js';
import { SessionPool } from '../../src/backends/onnxruntime/session-pool.js';
import { ServerError } from '../../src/core/index.js';
import type { ModelConfig } from '../../src/config/types.js';
import { identityModel, slowMatMulModel } from '../../../../scripts/onnx-builder.js';
import { existingModel, f32, instanceContext, modelOnDisk, output, quietLog, readF32, request, specOf } from './helpers.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const TEXT_DIRECTION = join(root, 'node_modules', '@gutenye', 'ocr-models', 'assets', 'ch_ppocr_mobile_v2.0_cls_infer.onnx');

const SIZE = 512;
const slowConfig: ModelConfig = {
  name: 'slow', max_batch_size: 0,
  input: [{ name: 'x', data_type: 'TYPE_FP32', dims: [SIZE, SIZE] }],
  output: [{ name: 'y', data_type: 'TYPE_FP32', dims: [SIZE, SIZE] }],
};
const slowInput = () => [{ name: 'x', datatype: 'FP32' as const, shape: [SIZE, SIZE], data: f32(new Array<number>(SIZE * SIZE).fill(1)) }];

test('the main event loop keeps ticking while a slow model runs in the worker', async () => {
  const ctx = modelOnDisk('slow', slowMatMulModel(200, SIZE), slowConfig);
  const instance = await (await backend.createModel(ctx)).createInstance(instanceContext(slowConfig));
  try {
    const r = request(specOf(slowConfig), slowInput());
    let ticks = 0;
    const timer = setInterval(() => { ticks += 1; }, 1);
    const t0 = performance.now();
    await instance.execute([r.request]);
    const elapsed = performance.now() - t0;
    clearInterval(timer);
    assert.deepEqual(output(r, 'y').shape, [SIZE, SIZE]);
    // A blocked loop ticks at most once (after the run); a free one roughly once per ms. The bar is low so
    // a loaded machine, where 1 ms timers fire late, still passes.
    assert.ok(elapsed > 100, `the slow model should take a while (took ${elapsed.toFixed(0)} ms)`);
    assert.ok(ticks >= 10, `${ticks} ticks in ${elapsed.toFixed(0)} ms`);
  } finally {
    await instance.dispose();
    ctx.cleanup();
  }
});

test('a pool thread that dies mid-request fails it with INTERNAL; the next execution re-creates the session in a new thread', async () => {
  const config: ModelConfig = {
    name: 'idf', max_batch_size: 0,
    input: [{ name: 'x', data_type: 'TYPE_FP32', dims: [2] }], output: [{ name: 'y', data_type: 'TYPE_FP32', dims: [2] }],
  };
  const ctx = modelOnDisk('idf', identityModel('FLOAT', [2], { input: 'x', output: 'y' }), config);
  // A real thread that loads sessions like a pool thread, then exits as soon as it is handed a run.
  const dying = (): Worker => new Worker(
    `const { parentPort } = require('node:worker_threads');
     const io = (name) => ({ name, isTensor: true, type: 'float32', dims: [2] });
     parentPort.on('message', (m) => {
       if (m.kind === 'load') parentPort.postMessage({ kind: 'loaded', id: m.id, metadata: { inputs: [io('x')], outputs: [io('y')] } });
       else process.exit(3);
     });`,
    { eval: true },
  );
  let spawned = 0;
  const pool = new SessionPool({ size: 1, spawn: () => (spawned++ === 0 ? dying() : spawnPoolWorker()) });
  const options = { intraOpNumThreads: 1 };
  const session = await pool.open(ctx.modelPath, options, 'idf_0_0', 'idf');
  const instance = new OnnxInstance({
    name: 'idf_0_0', spec: specOf(config), metadata: session.metadata, session,
    placement: new ModelPlacement('pool', ctx.modelPath, options, 'idf', quietLog),
  });
  try {
    const r = request(specOf(config), [{ name: 'x', datatype: 'FP32', shape: [2], data: f32([1, 2]) }]);
    await instance.execute([r.request]);
    assert.equal(r.responses.length, 1);
    assert.ok(r.responses[0]!.error instanceof ServerError);
    assert.equal(r.responses[0]!.error.code, 'INTERNAL');
    assert.equal(r.responses[0]!.error.message, "onnxruntime instance 'idf_0_0' worker exited with code 3");
    const again = request(specOf(config), [{ name: 'x', datatype: 'FP32', shape: [2], data: f32([3, 4]) }]);
    await instance.execute([again.request]);
    assert.deepEqual(readF32(output(again, 'y').data), [3, 4]);
    assert.equal(spawned, 2, 'one replacement thread');
  } finally {
    await instance.dispose();
    ctx.cleanup();
  }
});

test('dispose during a run lets the run finish, then ends the worker', async () => {
  const ctx = modelOnDisk('slow', slowMatMulModel(100, SIZE), slowConfig);
  const instance = await (await backend.createModel(ctx)).createInstance(instanceContext(slowConfig));
  const r = request(specOf(slowConfig), slowInput());
  const running = instance.execute([r.request]);
  await Promise.all([running, instance.dispose()]);
  assert.deepEqual(output(r, 'y').shape, [SIZE, SIZE]);
  ctx.cleanup();
});

test('the real text_direction model classifies a synthetic text line; probabilities sum to 1', async () => {
  const config: ModelConfig = {
    name: 'text_direction', max_batch_size: 8,
    input: [{ name: 'x', data_type: 'TYPE_FP32', dims: [3, 48, 192] }],
    output: [{ name: 'softmax_0.tmp_0', data_type: 'TYPE_FP32', dims: [2], label_filename: 'labels.txt' }],
  };
  const ctx = { ...existingModel(join(root, 'examples', 'models', 'text_direction'), 'text_direction', config), modelPath: TEXT_DIRECTION };
  const instance = await (await backend.createModel(ctx)).createInstance(instanceContext(config));
  try {
    // A light background with dark horizontal strokes in the upper half, normalized to [-1, 1] like PaddleOCR.
    const image = new Float32Array(2 * 3 * 48 * 192);
    for (let b = 0; b < 2; b++) {
      for (let c = 0; c < 3; c++) {
        for (let y = 0; y < 48; y++) {
          for (let x = 0; x < 192; x++) {
            const stroke = (b === 0 ? y >= 12 && y < 24 : y >= 24 && y < 36) && x % 16 < 10;
            image[((b * 3 + c) * 48 + y) * 192 + x] = stroke ? -0.8 : 0.9;
          }
        }
      }
    }
    const spec = specOf(config);
    const one = request(spec, [{ name: 'x', datatype: 'FP32', shape: [1, 3, 48, 192], data: new Uint8Array(image.buffer, 0, image.byteLength / 2) }]);
    const two = request(spec, [{ name: 'x', datatype: 'FP32', shape: [1, 3, 48, 192], data: new Uint8Array(image.buffer, image.byteLength / 2) }]);
    await instance.execute([one.request, two.request]);
    for (const r of [one, two]) {
      const probs = output(r, 'softmax_0.tmp_0');
      assert.deepEqual(probs.shape, [1, 2]);
      const [p0, p1] = readF32(probs.data);
      assert.ok(p0! >= 0 && p1! >= 0);
      assert.ok(Math.abs(p0! + p1! - 1) < 1e-5, `${p0} + ${p1}`);
    }
  } finally {
    await instance.dispose();
  }
});
