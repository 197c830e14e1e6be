/**
 * Models run inline on the main thread: chosen automatically for a tiny model and left again when its
 * runs get slow (through the in-process API of a real server), or forced per model by the config
 * parameter `inferd.execution` (through the backend, with batching and strings).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import backend from '../../src/backends/onnxruntime/index.js';
import { PROBE_RUNS, RETRY_RUNS, WARMUP_RUNS } from '../../src/backends/onnxruntime/inline-policy.js';
import { createInferenceServer, Logger } from '../../src/index.js';
import type { ModelConfig } from '../../src/config/types.js';
import { GraphBuilder, identityModel } from '../../../../scripts/onnx-builder.js';
import { makeRepo } from '../support/temp-repo.js';
import { f32, instanceContext, modelOnDisk, only, output, readF32, request, specOf } from './helpers.js';

const WIDTH = 32;
const STEPS = 8;

/** y = x · I · I ... (STEPS MatMuls by the identity): cost grows with the rows of x, values stay x. */
function chainModel(): Uint8Array {
  const eye = new Array<number>(WIDTH * WIDTH).fill(0);
  for (let i = 0; i < WIDTH; i++) eye[i * WIDTH + i] = 1;
  const g = new GraphBuilder('chain').input('x', 'FLOAT', ['N', WIDTH]).initializer('W', 'FLOAT', [WIDTH, WIDTH], eye);
  let prev = 'x';
  for (let s = 0; s < STEPS; s++) {
    const out = s === STEPS - 1 ? 'y' : `h${s}`;
    g.node('MatMul', [prev, 'W'], [out]);
    prev = out;
  }
  return g.output('y', 'FLOAT', ['N', WIDTH]).toBytes();
}

const CHAIN_CONFIG = [
  'backend: "onnxruntime"', 'max_batch_size: 0',
  `input [{ name: "x" data_type: TYPE_FP32 dims: [ -1, ${WIDTH} ] }]`,
  `output [{ name: "y" data_type: TYPE_FP32 dims: [ -1, ${WIDTH} ] }]`,
  'instance_group [{ count: 2 kind: KIND_CPU }]',
].join('\n');

function rows(n: number): Float32Array {
  const x = new Float32Array(n * WIDTH);
  for (let i = 0; i < x.length; i++) x[i] = (i % 97) - 48;
  return x;
}

test('auto: a tiny model moves inline after its probe runs, and back to the pool once a run is slow', async () => {
  const repo = makeRepo({ 'chain/config.pbtxt': CHAIN_CONFIG, 'chain/1/model.onnx': chainModel() });
  const lines: string[] = [];
  const logger = new Logger({ verboseLevel: 0 });
  logger.write = (line) => lines.push(line);
  const { server } = await createInferenceServer({ modelRepository: repo.dir, logger });
  const infer = async (n: number): Promise<number[]> => {
    const x = rows(n);
    const r = await server.infer({
      modelName: 'chain', inputs: [{ name: 'x', datatype: 'FP32', shape: [n, WIDTH], data: new Uint8Array(x.buffer) }],
    });
    if (r.error !== undefined) throw r.error;
    const y = r.outputs.find((o) => o.name === 'y')!;
    assert.deepEqual(y.shape, [n, WIDTH]);
    const got = readF32(y.data);
    assert.deepEqual(got.slice(0, 2 * WIDTH), [...x.slice(0, 2 * WIDTH)]);
    assert.deepEqual(got.slice(-WIDTH), [...x.slice(-WIDTH)]);
    return got;
  };
  const said = (text: string) => lines.some((l) => l.includes(`model 'chain' ${text}`));
  try {
    for (let i = 0; i < PROBE_RUNS + WARMUP_RUNS - 1; i++) await infer(1);
    assert.ok(!said('runs inline'), 'still on the pool during the probe');
    // The probe completes with the next run. On a loaded machine a probe can read slow (the pool thread
    // preempted) and is retried after a back-off: keep the model busy until one passes, bounded by
    // the back-off of a few failed probes (RETRY_RUNS, doubling).
    await infer(2);
    for (let i = 0; i < 8 * RETRY_RUNS && !said('runs inline on the main thread'); i++) await infer(1);
    assert.ok(said('runs inline on the main thread'), lines.join(''));
    for (let i = 0; i < 5; i++) await infer(1);
    // 8 MatMuls of 65536×32 by 32×32 (1 GFLOP): tens of ms, far over the stall limit; it still answers right.
    // Two in a row: one slow run alone could be the thread preempted. The tiny requests sent with them are
    // already scheduled on the main-thread session when the second slow run moves the model off it: they
    // still run there and answer (the session is freed after them).
    await Promise.all([infer(65536), infer(65536), infer(1), infer(1), infer(2)]);
    assert.ok(said('moved off the main thread to the worker pool'), lines.join(''));
    // Back on the pool: the event loop keeps ticking during a slow run.
    let ticks = 0;
    const timer = setInterval(() => { ticks += 1; }, 1);
    const t0 = performance.now();
    await infer(131072);
    const elapsed = performance.now() - t0;
    clearInterval(timer);
    assert.ok(ticks >= 5, `${ticks} ticks in ${elapsed.toFixed(0)} ms`);
    // Tiny runs after the move stay on the pool (until a later probe, RETRY_RUNS away) and still answer.
    for (let i = 0; i < PROBE_RUNS + 2; i++) await infer(1);
    assert.equal(lines.filter((l) => l.includes("model 'chain' runs inline")).length, 1);
  } finally {
    await server.shutdown();
    repo.cleanup();
  }
});

function forced(mode: string, config: ModelConfig): ModelConfig {
  return { ...config, parameters: { 'inferd.execution': { string_value: mode } } };
}

test('inferd.execution inline and pool: a batched execution of two requests answers each its rows', async () => {
  const base: ModelConfig = {
    name: 'idb', max_batch_size: 8,
    input: [{ name: 'x', data_type: 'TYPE_FP32', dims: [3] }], output: [{ name: 'y', data_type: 'TYPE_FP32', dims: [3] }],
  };
  for (const mode of ['inline', 'pool']) {
    const config = forced(mode, base);
    const ctx = modelOnDisk('idb', identityModel('FLOAT', [null, 3], { input: 'x', output: 'y' }), config);
    const model = await backend.createModel(ctx);
    const instance = await model.createInstance(instanceContext(config));
    try {
      for (let round = 0; round < PROBE_RUNS + 3; round++) {
        const a = request(specOf(config), [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: f32([1, 2, 3 + round]) }]);
        const b = request(specOf(config), [{ name: 'x', datatype: 'FP32', shape: [2, 3], data: f32([4, 5, 6, 7, 8, 9]) }]);
        await instance.execute([a.request, b.request]);
        assert.deepEqual(readF32(output(a, 'y').data), [1, 2, 3 + round], mode);
        assert.deepEqual(output(b, 'y').shape, [2, 3]);
        assert.deepEqual(readF32(output(b, 'y').data), [4, 5, 6, 7, 8, 9], mode);
      }
    } finally {
      await instance.dispose();
      await model.dispose();
      ctx.cleanup();
    }
  }
});

test('inferd.execution inline: strings, and an input viewed at an odd offset of a larger buffer', async () => {
  const strConfig = forced('inline', {
    name: 'ids', max_batch_size: 0,
    input: [{ name: 's', data_type: 'TYPE_STRING', dims: [2] }], output: [{ name: 't', data_type: 'TYPE_STRING', dims: [2] }],
  });
  const sctx = modelOnDisk('ids', identityModel('STRING', [2], { input: 's', output: 't' }), strConfig);
  const smodel = await backend.createModel(sctx);
  const sinst = await smodel.createInstance(instanceContext(strConfig));
  const fConfig = forced('inline', {
    name: 'idf', max_batch_size: 0,
    input: [{ name: 'x', data_type: 'TYPE_FP32', dims: [-1] }], output: [{ name: 'y', data_type: 'TYPE_FP32', dims: [-1] }],
  });
  const fctx = modelOnDisk('idf', identityModel('FLOAT', [null], { input: 'x', output: 'y' }), fConfig);
  const fmodel = await backend.createModel(fctx);
  const finst = await fmodel.createInstance(instanceContext(fConfig));
  try {
    const bytes = (...items: string[]) => {
      const parts = items.flatMap((s) => {
        const b = Buffer.from(s, 'utf8');
        const len = Buffer.alloc(4);
        len.writeUInt32LE(b.length);
        return [len, b];
      });
      return new Uint8Array(Buffer.concat(parts));
    };
    const s = request(specOf(strConfig), [{ name: 's', datatype: 'BYTES', shape: [2], data: bytes('héllo', '') }]);
    await sinst.execute([s.request]);
    assert.deepEqual(Buffer.from(output(s, 't').data), Buffer.from(bytes('héllo', '')));

    // A Buffer, as the HTTP frontend hands in (its slice() is a view, not a copy).
    const backing = Buffer.alloc(1 + 16);
    backing.set(f32([1.5, -2, 3, 4]), 1);
    const odd = request(specOf(fConfig), [{ name: 'x', datatype: 'FP32', shape: [4], data: backing.subarray(1) }]);
    await finst.execute([odd.request]);
    assert.deepEqual(readF32(output(odd, 'y').data), [1.5, -2, 3, 4]);

    const after = request(specOf(fConfig), [{ name: 'x', datatype: 'FP32', shape: [4], data: f32([9, 8, 7, 6]) }]);
    await finst.execute([after.request]);
    assert.deepEqual(readF32(only(after).outputs[0]!.data), [9, 8, 7, 6]);
  } finally {
    for (const i of [sinst, finst]) await i.dispose();
    for (const m of [smodel, fmodel]) await m.dispose();
    sctx.cleanup();
    fctx.cleanup();
  }
});

test('inline runs answer in the turn their request arrived in, but an in-process closed loop still lets timers run', async () => {
  const config = [
    'backend: "onnxruntime"', 'max_batch_size: 0', 'input [{ name: "x" data_type: TYPE_FP32 dims: [ 3 ] }]',
    'output [{ name: "y" data_type: TYPE_FP32 dims: [ 3 ] }]',
    'parameters { key: "inferd.execution" value: { string_value: "inline" } }',
  ].join('\n');
  const repo = makeRepo({ 'tiny/config.pbtxt': config, 'tiny/1/model.onnx': identityModel('FLOAT', [3], { input: 'x', output: 'y' }) });
  const { server } = await createInferenceServer({ modelRepository: repo.dir });
  const init = { modelName: 'tiny', inputs: [{ name: 'x', datatype: 'FP32' as const, shape: [3], data: new Uint8Array(new Float32Array([1, 2, 3]).buffer) }] };
  try {
    // A fresh turn: the reply comes before inferOnce returns (no setImmediate hop).
    await new Promise((resolve) => setImmediate(resolve));
    let answered = false;
    server.inferOnce(init, (r) => {
      assert.equal(r.error, undefined);
      answered = true;
    });
    assert.ok(answered, 'an inline run at the start of a turn answers synchronously');
    // Awaiting each answer before the next chains through microtasks; a timer must still get its turn.
    let timerRan = false;
    setTimeout(() => {
      timerRan = true;
    }, 0);
    let runsBeforeTimer = -1;
    for (let i = 0; i < 2000; i++) {
      const r = await server.infer(init);
      assert.deepEqual(readF32(r.outputs[0]!.data), [1, 2, 3]);
      if (timerRan && runsBeforeTimer < 0) runsBeforeTimer = i;
    }
    assert.ok(runsBeforeTimer >= 0 && runsBeforeTimer < 1000, `the timer ran after ${runsBeforeTimer} of 2000 runs`);
  } finally {
    await server.shutdown(1000);
    repo.cleanup();
  }
});

test('dynamic batching of an inline model: requests that arrive in one turn run as one batch, each answered its own rows', async () => {
  const config = [
    'backend: "onnxruntime"', 'max_batch_size: 4', 'input [{ name: "x" data_type: TYPE_FP32 dims: [ 3 ] }]',
    'output [{ name: "y" data_type: TYPE_FP32 dims: [ 3 ] }]', 'dynamic_batching { }',
    'instance_group [{ count: 2 kind: KIND_CPU }]',
    'parameters { key: "inferd.execution" value: { string_value: "inline" } }',
  ].join('\n');
  const repo = makeRepo({ 'tiny/config.pbtxt': config, 'tiny/1/model.onnx': identityModel('FLOAT', [-1, 3], { input: 'x', output: 'y' }) });
  const { server } = await createInferenceServer({ modelRepository: repo.dir });
  const send = (i: number) => server.infer({
    modelName: 'tiny', id: `r${i}`,
    inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: new Uint8Array(new Float32Array([i, i + 0.5, -i]).buffer) }],
  });
  // Statistics land just after the responses (as in Triton): read them a turn later.
  const counts = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    const s = server.modelStatistics('tiny').model_stats[0] as { inference_count: number; execution_count: number };
    return [s.inference_count, s.execution_count];
  };
  try {
    // Ten requests in one turn: max_batch_size 4 cuts them into batches of 4, 4 and 2.
    const replies = await Promise.all(Array.from({ length: 10 }, (_, i) => send(i)));
    replies.forEach((r, i) => {
      assert.equal(r.error, undefined);
      assert.equal(r.id, `r${i}`);
      assert.deepEqual(r.outputs[0]!.shape, [1, 3]);
      assert.deepEqual(readF32(r.outputs[0]!.data), [i, i + 0.5, -i]);
    });
    assert.deepEqual(await counts(), [10, 3]);
    // One request alone still goes (nothing waits for a batch to fill).
    const alone = await send(42);
    assert.deepEqual(readF32(alone.outputs[0]!.data), [42, 42.5, -42]);
    assert.deepEqual(await counts(), [11, 4]);
  } finally {
    await server.shutdown(1000);
    repo.cleanup();
  }
});
