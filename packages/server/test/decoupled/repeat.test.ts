/**
 * The repeat backend through the in-process API: a decoupled model answering 0..N times from timers
 * after execute returned, flag-only finals, cancellation, refusal by infer(), statistics, shutdown.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createInferenceServer, ServerError, type InferenceServer } from '../../src/index.js';
import { makeRepo } from '../support/temp-repo.js';
import { collect, REPEAT_CONFIG, repeatInit, valuesOf } from './repeat-support.js';

const renamed = (name: string): string => REPEAT_CONFIG.replace('name: "repeat_int32"', `name: "${name}"`);

let server: InferenceServer;
let repo: ReturnType<typeof makeRepo>;

before(async () => {
  repo = makeRepo({
    'repeat_int32/config.pbtxt': REPEAT_CONFIG, 'repeat_int32/1/': null,
    'repeat_stats/config.pbtxt': renamed('repeat_stats'), 'repeat_stats/1/': null,
  });
  ({ server } = await createInferenceServer({ modelRepository: repo.dir }));
});

after(async () => {
  await server.shutdown();
  repo.cleanup();
});

test('one response per IN element, in order, after inferStream returned, then a flag-only final', async () => {
  const { done, arrivals } = collect(server, repeatInit([7, -3, 2147483647]));
  assert.equal(arrivals.length, 0, 'responses come from timers, not from inside inferStream');
  const got = await done;
  assert.equal(got.length, 4);
  assert.deepEqual(got.map((a) => valuesOf(a.response)), [
    { OUT: [7], IDX: [0] }, { OUT: [-3], IDX: [1] }, { OUT: [2147483647], IDX: [2] }, {},
  ]);
  assert.deepEqual(got.map((a) => a.response.final), [false, false, false, true]);
  for (const { response } of got.slice(0, 3)) {
    assert.deepEqual(response.outputs.map((t) => [t.name, t.datatype, t.shape]), [['OUT', 'INT32', [1]], ['IDX', 'UINT32', [1]]]);
    assert.equal(response.modelName, 'repeat_int32');
    assert.equal(response.modelVersion, '1');
    assert.equal(response.error, undefined);
  }
  const last = got[3]!.response;
  assert.deepEqual(last.outputs, []);
  assert.equal(last.parameters, undefined);
  assert.equal(last.error, undefined);
});

test('empty IN: zero responses, only the flag-only final', async () => {
  const got = await collect(server, { ...repeatInit([]), id: 'none' }).done;
  assert.equal(got.length, 1);
  assert.deepEqual(
    { final: got[0]!.response.final, outputs: got[0]!.response.outputs, id: got[0]!.response.id },
    { final: true, outputs: [], id: 'none' },
  );
});

test('only the requested outputs are produced', async () => {
  const got = await collect(server, { ...repeatInit([4, 5]), outputs: [{ name: 'IDX' }] }).done;
  assert.deepEqual(got.map((a) => valuesOf(a.response)), [{ IDX: [0] }, { IDX: [1] }, {}]);
});

test('DELAY paces the responses (ms before each one)', async () => {
  const got = await collect(server, repeatInit([1, 2, 3], [0, 80, 80])).done;
  const at = got.map((a) => a.at);
  assert.ok(at[0]! < 60, `first response without delay (${at[0]} ms)`);
  assert.ok(at[1]! - at[0]! >= 70, `second ~80 ms after the first (${at[1]! - at[0]!} ms)`);
  assert.ok(at[2]! - at[1]! >= 70, `third ~80 ms after the second (${at[2]! - at[1]!} ms)`);
  assert.ok(at[3]! - at[2]! < 40, 'the final follows the last response at once');
});

test('WAIT holds the instance: responses flow while execute waits, the next request waits its turn', async () => {
  const first = collect(server, repeatInit([1], [0], 150));
  const second = collect(server, repeatInit([2], [0]));
  const [a, b] = await Promise.all([first.done, second.done]);
  assert.ok(a[1]!.at < 100, `the first request is answered before its execute returns (${a[1]!.at} ms)`);
  assert.ok(b[0]!.at >= 140, `the second ran only after WAIT released the single instance (${b[0]!.at} ms)`);
  assert.deepEqual(valuesOf(b[0]!.response), { OUT: [2], IDX: [0] });
});

test('concurrent requests on one instance interleave by their delays', async () => {
  const order: string[] = [];
  const slow = collect(server, { ...repeatInit([10, 11], [300, 300]), id: 'slow' }, (r) => order.push(`${r.id}${r.final ? '!' : ''}`));
  const fast = collect(server, { ...repeatInit([20, 21], [20, 20]), id: 'fast' }, (r) => order.push(`${r.id}${r.final ? '!' : ''}`));
  await Promise.all([slow.done, fast.done]);
  assert.deepEqual(order, ['fast', 'fast', 'fast!', 'slow', 'slow', 'slow!']);
});

test('IN and DELAY of different lengths: a single final INVALID_ARG response', async () => {
  const init = repeatInit([1, 2, 3], [0, 0]);
  const got = await collect(server, init).done;
  assert.equal(got.length, 1);
  const r = got[0]!.response;
  assert.equal(r.final, true);
  assert.ok(r.error instanceof ServerError);
  assert.equal(r.error.code, 'INVALID_ARG');
  assert.equal(r.error.message, 'expected IN and DELAY shape to match, got [3] and [2]');
});

test('infer() refuses a decoupled model with Triton\'s message', async () => {
  await assert.rejects(server.infer(repeatInit([1])), (e: unknown) =>
    e instanceof ServerError && e.code === 'UNSUPPORTED' &&
    e.message === "ModelInfer RPC doesn't support models with decoupled transaction policy");
});

test('classification applies to every response of a decoupled request', async () => {
  const got = await collect(server, { ...repeatInit([9, 8]), outputs: [{ name: 'OUT', classification: 1 }] }).done;
  assert.deepEqual(got.map((a) => valuesOf(a.response)), [{ OUT: ['9:0'] }, { OUT: ['8:0'] }, {}]);
  assert.deepEqual(got[0]!.response.outputs.map((t) => [t.datatype, t.shape]), [['BYTES', [1]]]);
});

test('aborting the signal mid-stream stops the sender with a final CANCELLED response', async () => {
  const controller = new AbortController();
  const { done } = collect(server, { ...repeatInit([1, 2, 3, 4], [0, 50, 50, 50]), signal: controller.signal }, (r) => {
    if (!r.final) controller.abort();
  });
  const got = await done;
  assert.equal(got.length, 2, 'one response, then the cancellation');
  assert.deepEqual(valuesOf(got[0]!.response), { OUT: [1], IDX: [0] });
  const last = got[1]!.response;
  assert.equal(last.final, true);
  assert.equal(last.error?.code, 'CANCELLED');
  assert.equal(last.error?.message, 'Request was cancelled');
  // Nothing arrives after the final response.
  await new Promise((r) => setTimeout(r, 180));
  assert.equal(got.length, 2);
});

test('a request whose signal already fired is refused before it is queued', () => {
  const controller = new AbortController();
  controller.abort();
  assert.throws(() => server.inferStream({ ...repeatInit([1]), signal: controller.signal }, () => {}),
    (e: unknown) => e instanceof ServerError && e.code === 'CANCELLED');
});

test('statistics: one request counted once at its final response, failures (cancel) in fail', async () => {
  const init = { ...repeatInit([1, 2, 3], [0, 30, 30]), modelName: 'repeat_stats' };
  const stats = () => server.modelStatistics('repeat_stats').model_stats[0] as any;
  const pending = collect(server, init);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(stats().inference_stats.success.count, 0, 'not counted before the final response');
  const got = await pending.done;
  const s = stats();
  assert.equal(s.inference_count, 1);
  assert.equal(s.execution_count, 1);
  assert.deepEqual(s.batch_stats.map((b: any) => [b.batch_size, b.compute_infer.count]), [[1, 1]]);
  assert.equal(s.inference_stats.success.count, 1);
  assert.equal(s.inference_stats.queue.count, 1);
  assert.equal(s.inference_stats.fail.count, 0);
  // Success time covers the whole stream (~60 ms of delays), not just execute.
  assert.ok(s.inference_stats.success.ns >= 55e6, `success ns ${s.inference_stats.success.ns}`);
  assert.ok(got[3]!.at >= 55);

  const controller = new AbortController();
  const cancelled = collect(server, { ...init, signal: controller.signal }, () => controller.abort());
  await cancelled.done;
  const after = stats();
  assert.equal(after.inference_stats.fail.count, 1);
  assert.equal(after.inference_stats.success.count, 1);
  assert.equal(after.inference_count, 1, 'a failed request adds no inferences');
  assert.equal(after.execution_count, 2);
});

test('a config without decoupled transaction policy (or with batching) is refused at load', async () => {
  const bad = makeRepo({
    'not_decoupled/config.pbtxt': renamed('not_decoupled').replace(/model_transaction_policy \{[^}]*\}/, ''),
    'not_decoupled/1/': null,
    'batching/config.pbtxt': renamed('batching').replace('max_batch_size: 0', 'max_batch_size: 4'),
    'batching/1/': null,
    'bad_out/config.pbtxt': renamed('bad_out').replace('name: "OUT"\n    data_type: TYPE_INT32', 'name: "OUT"\n    data_type: TYPE_FP32'),
    'bad_out/1/': null,
  });
  try {
    const created = await createInferenceServer({ modelRepository: bad.dir, exitOnError: false });
    try {
      assert.deepEqual([...created.failedModels].sort(), ['bad_out', 'batching', 'not_decoupled']);
      const reasons = Object.fromEntries(created.server.repositoryIndex().map((e) => [e.name, e.reason]));
      assert.equal(reasons.not_decoupled,
        "repeat backend, model 'not_decoupled': requires 'model_transaction_policy { decoupled: true }' (it sends one response per IN element)");
      assert.equal(reasons.batching, "repeat backend, model 'batching': requires 'max_batch_size: 0', got 4");
      assert.equal(reasons.bad_out, "repeat backend, model 'bad_out': expected OUT datatype to be INT32, got TYPE_FP32");
    } finally {
      await created.server.shutdown();
    }
  } finally {
    bad.cleanup();
  }
});

test('shutdown waits for a decoupled request to send its last response', async () => {
  const own = makeRepo({ 'repeat_int32/config.pbtxt': REPEAT_CONFIG, 'repeat_int32/1/': null });
  try {
    const { server: s } = await createInferenceServer({ modelRepository: own.dir });
    const events: string[] = [];
    const { done } = collect(s, repeatInit([1, 2], [0, 120]), (r) => events.push(r.final ? 'final' : 'response'));
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(s.inflightCount, 1);
    await s.shutdown();
    events.push('shutdown');
    await done;
    assert.deepEqual(events, ['response', 'response', 'final', 'shutdown']);
    assert.equal(s.live(), false);
  } finally {
    own.cleanup();
  }
});
