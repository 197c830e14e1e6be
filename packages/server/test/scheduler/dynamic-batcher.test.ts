/**
 * The dynamic batcher through a real InferenceServer: a plug-in backend whose single instance blocks
 * until the test releases it, so requests pile up in the queue and the batches it then receives are
 * decided by the batcher alone (no timing). One test runs the real ONNX identity model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInferenceServer } from '../../src/create-server.js';
import type { InferenceResponse, InferenceServer } from '../../src/core/index.js';
import { ServerError } from '../../src/core/index.js';
import { fp32, makeRepo, readFp32 } from '../support/temp-repo.js';
import { pluginBackend } from '../support/plugin-backend.js';

/** Records each execution (batch sizes and input shapes), holds it until released, then echoes INPUT0. */
const GATED_BACKEND = pluginBackend('test_gated', `
          const state = globalThis.__inferdGated;
          state.log.push(requests.map((r) => ({ id: r.id, batch: r.batchSize, shape: [...r.inputs[0].shape] })));
          await new Promise((resolve) => state.gates.push(resolve));
          for (const r of requests) r.respond({ outputs: [{ ...r.inputs[0], name: 'OUTPUT0' }] });`);

interface Execution { id: string; batch: number; shape: number[] }
interface GatedState { log: Execution[][]; gates: (() => void)[] }

function gated(): GatedState {
  const g = globalThis as Record<string, unknown>;
  g.__inferdGated = { log: [], gates: [] } satisfies GatedState;
  return g.__inferdGated as GatedState;
}

function gatedConfig(dynamicBatching: string, maxBatch = 4, inputExtra = ''): string {
  return [
    'backend: "test_gated"',
    `max_batch_size: ${maxBatch}`,
    `input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ -1 ]${inputExtra} } ]`,
    'output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ -1 ] } ]',
    'instance_group [ { count: 1 kind: KIND_CPU } ]',
    `dynamic_batching { ${dynamicBatching} }`,
  ].join('\n');
}

async function withServer(config: string, body: (server: InferenceServer, state: GatedState) => Promise<void>): Promise<void> {
  const state = gated();
  const repo = makeRepo({ 'm/config.pbtxt': config, 'm/1/': null });
  const backends = `${repo.dir}-backends`;
  mkdirSync(join(backends, 'test_gated'), { recursive: true });
  writeFileSync(join(backends, 'test_gated', 'index.mjs'), GATED_BACKEND);
  const { server } = await createInferenceServer({ modelRepository: repo.dir, backendDirectory: backends });
  try {
    await body(server, state);
  } finally {
    while (state.gates.length > 0) state.gates.shift()!();
    await server.shutdown(1000);
    repo.cleanup();
    rmSync(backends, { recursive: true, force: true });
  }
}

/** One request of `rows` rows of `[value, value+1, ...]` (width `width`). */
function infer(
  server: InferenceServer, id: string, value: number, options: { rows?: number; width?: number; signal?: AbortSignal } = {},
): Promise<InferenceResponse> {
  const rows = options.rows ?? 1;
  const width = options.width ?? 2;
  const values = Array.from({ length: rows * width }, (_, i) => value + i);
  return server.infer({
    modelName: 'm', id, inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [rows, width], data: fp32(values) }],
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
}

/** Waits (event-loop turns, no timers) until the backend has seen `n` executions. */
async function executions(state: GatedState, n: number): Promise<void> {
  for (let i = 0; i < 10_000 && state.log.length < n; i++) await new Promise((r) => setImmediate(r));
  assert.equal(state.log.length, n, `expected ${n} executions`);
}

/** Releases the oldest held execution. */
function release(state: GatedState): void {
  const gate = state.gates.shift();
  assert.ok(gate !== undefined, 'no execution is held');
  gate();
}

function ids(state: GatedState): string[][] {
  return state.log.map((e) => e.map((x) => x.id));
}

/** Statistics once the last execution is recorded (the pool records it after the responses went out). */
async function counts(server: InferenceServer, model = 'm'): Promise<{ inference: number; execution: number }> {
  await new Promise((r) => setImmediate(r));
  const s = server.modelStatistics(model).model_stats[0] as { inference_count: number; execution_count: number };
  return { inference: s.inference_count, execution: s.execution_count };
}

test('queued requests are merged in arrival order up to max_batch_size; each gets its own rows', async () => {
  await withServer(gatedConfig(''), async (server, state) => {
    const first = infer(server, 'r0', 0);
    await executions(state, 1);
    const rest = [1, 2, 3, 4, 5, 6].map((i) => infer(server, `r${i}`, i * 10));
    release(state);
    await executions(state, 2);
    release(state);
    await executions(state, 3);
    release(state);
    const results = await Promise.all([first, ...rest]);
    assert.deepEqual(ids(state), [['r0'], ['r1', 'r2', 'r3', 'r4'], ['r5', 'r6']]);
    results.forEach((r, i) => {
      assert.equal(r.id, `r${i}`);
      assert.deepEqual(r.outputs[0]!.shape, [1, 2]);
      assert.deepEqual(readFp32(r.outputs[0]!.data), [i * 10, i * 10 + 1]);
    });
    assert.deepEqual(await counts(server), { inference: 7, execution: 3 });
  });
});

test('batch sizes of requests with several rows add up and never exceed max_batch_size', async () => {
  await withServer(gatedConfig(''), async (server, state) => {
    const first = infer(server, 'a', 0);
    await executions(state, 1);
    const rest = [infer(server, 'b', 1, { rows: 3 }), infer(server, 'c', 2, { rows: 2 }), infer(server, 'd', 3, { rows: 2 })];
    release(state);
    await executions(state, 2);
    release(state);
    await executions(state, 3);
    release(state);
    await Promise.all([first, ...rest]);
    assert.deepEqual(state.log.map((e) => e.map((x) => x.batch)), [[1], [3], [2, 2]]);
    assert.deepEqual(await counts(server), { inference: 8, execution: 3 });
  });
});

test('a preferred batch size is sent at once, without waiting out max_queue_delay', async () => {
  // A 60 s delay: reaching the test timeout would mean the batcher waited instead of sending.
  await withServer(gatedConfig('preferred_batch_size: [ 2 ] max_queue_delay_microseconds: 60000000', 8), async (server, state) => {
    const first = infer(server, 'p0', 0, { rows: 2 });
    await executions(state, 1);
    const rest = [1, 2, 3, 4].map((i) => infer(server, `p${i}`, i));
    release(state);
    await executions(state, 2);
    release(state);
    await executions(state, 3);
    release(state);
    await Promise.all([first, ...rest]);
    // max_batch_size 8: four queued rows never fill a batch, so only the preferred size sends them.
    assert.deepEqual(ids(state), [['p0'], ['p1', 'p2'], ['p3', 'p4']]);
  });
});

test('with preferred sizes the batch is cut to the largest preferred size reached', async () => {
  await withServer(gatedConfig('preferred_batch_size: [ 2, 3 ]', 8), async (server, state) => {
    const first = infer(server, 'q0', 0);
    await executions(state, 1);
    const rest = [1, 2, 3, 4, 5].map((i) => infer(server, `q${i}`, i));
    release(state);
    await executions(state, 2);
    release(state);
    await executions(state, 3);
    release(state);
    await Promise.all([first, ...rest]);
    // 5 queued: sizes 2 and 3 are preferred, 3 is the largest reached -> q1..q3, then q4+q5 (preferred 2).
    assert.deepEqual(ids(state), [['q0'], ['q1', 'q2', 'q3'], ['q4', 'q5']]);
  });
});

test('max_queue_delay_microseconds holds a small batch until the delay passes, then sends it whole', async () => {
  await withServer(gatedConfig('max_queue_delay_microseconds: 20000'), async (server, state) => {
    const all = [infer(server, 'd0', 0), infer(server, 'd1', 1), infer(server, 'd2', 2)];
    assert.equal(state.log.length, 0);
    await executions(state, 0);
    // However long the machine takes to reach the deadline, the one batch that leaves then holds all three.
    for (let i = 0; i < 2000 && state.log.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    await executions(state, 1);
    release(state);
    await Promise.all(all);
    assert.deepEqual(ids(state), [['d0', 'd1', 'd2']]);
  });
});

test('requests whose shapes differ (apart from the batch dim) are not merged', async () => {
  await withServer(gatedConfig(''), async (server, state) => {
    const first = infer(server, 's0', 0);
    await executions(state, 1);
    const rest = [
      infer(server, 's1', 1, { width: 2 }), infer(server, 's2', 2, { width: 2 }),
      infer(server, 's3', 3, { width: 3 }), infer(server, 's4', 4, { width: 2 }),
    ];
    for (let n = 2; n <= 4; n++) {
      release(state);
      await executions(state, n);
    }
    release(state);
    const results = await Promise.all([first, ...rest]);
    assert.deepEqual(ids(state), [['s0'], ['s1', 's2'], ['s3'], ['s4']]);
    assert.deepEqual(state.log[2]![0]!.shape, [1, 3]);
    assert.deepEqual(readFp32(results[3]!.outputs[0]!.data), [3, 4, 5]);
  });
});

test('inputs with allow_ragged_batch are merged whatever their shapes', async () => {
  await withServer(gatedConfig('', 4, ' allow_ragged_batch: true'), async (server, state) => {
    const first = infer(server, 'g0', 0);
    await executions(state, 1);
    const rest = [infer(server, 'g1', 1, { width: 2 }), infer(server, 'g2', 2, { width: 3 }), infer(server, 'g3', 3, { width: 1 })];
    release(state);
    await executions(state, 2);
    release(state);
    const results = await Promise.all([first, ...rest]);
    assert.deepEqual(ids(state), [['g0'], ['g1', 'g2', 'g3']]);
    assert.deepEqual(state.log[1]!.map((x) => x.shape), [[1, 2], [1, 3], [1, 1]]);
    assert.deepEqual(readFp32(results[2]!.outputs[0]!.data), [2, 3, 4]);
  });
});

test('a queued request whose client goes away is answered CANCELLED and never executes', async () => {
  await withServer(gatedConfig(''), async (server, state) => {
    const first = infer(server, 'c0', 0);
    await executions(state, 1);
    const abort = new AbortController();
    const cancelled = infer(server, 'c1', 1, { signal: abort.signal });
    const kept = infer(server, 'c2', 2);
    abort.abort();
    await assert.rejects(cancelled, (err: unknown) => {
      assert.ok(err instanceof ServerError);
      assert.equal(err.code, 'CANCELLED');
      assert.equal(err.message, 'Request was cancelled');
      return true;
    });
    release(state);
    await executions(state, 2);
    release(state);
    await Promise.all([first, kept]);
    assert.deepEqual(ids(state), [['c0'], ['c2']]);
    assert.deepEqual(await counts(server), { inference: 2, execution: 2 });
  });
});

test('default_queue_policy.max_queue_size refuses requests beyond it with UNAVAILABLE', async () => {
  await withServer(gatedConfig('default_queue_policy { max_queue_size: 2 }'), async (server, state) => {
    const first = infer(server, 'f0', 0);
    await executions(state, 1);
    const queued = [infer(server, 'f1', 1), infer(server, 'f2', 2)];
    const expect = (message: string) => (err: unknown) => {
      assert.ok(err instanceof ServerError);
      assert.equal(err.code, 'UNAVAILABLE');
      assert.equal(err.message, message);
      return true;
    };
    await assert.rejects(infer(server, 'f3', 3), expect('[request id: f3] Exceeds maximum queue size'));
    await assert.rejects(infer(server, '', 4), expect('Exceeds maximum queue size'));
    release(state);
    await executions(state, 2);
    release(state);
    await Promise.all([first, ...queued]);
    assert.deepEqual(ids(state), [['f0'], ['f1', 'f2']]);
  });
});

test('the real ONNX identity model batches concurrent requests and splits the outputs back', async () => {
  const onnx = fileURLToPath(new URL('../../../../examples/models/identity_fp32/1/model.onnx', import.meta.url));
  const repo = makeRepo({
    'identity/config.pbtxt': [
      'platform: "onnxruntime_onnx"', 'max_batch_size: 8',
      'input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ -1 ] } ]',
      'output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ -1 ] } ]',
      'instance_group [ { count: 1 kind: KIND_CPU } ]', 'dynamic_batching { }',
    ].join('\n'),
    'identity/1/': null,
  });
  copyFileSync(onnx, join(repo.dir, 'identity', '1', 'model.onnx'));
  const { server } = await createInferenceServer({ modelRepository: repo.dir });
  try {
    // All six are enqueued in this turn: the first runs alone, the other five wait for it and go as one batch.
    const results = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => server.infer({
      modelName: 'identity', id: `o${i}`,
      inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 3], data: fp32([i, i + 0.5, -i]) }],
    })));
    results.forEach((r, i) => {
      assert.equal(r.id, `o${i}`);
      assert.deepEqual(r.outputs[0]!.shape, [1, 3]);
      assert.deepEqual(readFp32(r.outputs[0]!.data), [i, i + 0.5, -i]);
    });
    assert.deepEqual(await counts(server, 'identity'), { inference: 6, execution: 2 });
  } finally {
    await server.shutdown(1000);
    repo.cleanup();
  }
});
