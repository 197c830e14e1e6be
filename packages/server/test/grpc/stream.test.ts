/**
 * ModelStreamInfer over a real gRPC connection: decoupled responses with triton_final_response,
 * the empty-final opt-in, request order for non-decoupled models, concurrency, in-band errors,
 * the triton_grpc_error opt-in, and cancellation of a stream's queued requests.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { status, type ClientDuplexStream } from '@grpc/grpc-js';
import type { pb } from '@inferd/protocol';
import { hangLog, startGrpc, type GrpcHarness } from '../support/grpc-repo.js';

let h: GrpcHarness;
before(async () => {
  h = await startGrpc();
});
after(async () => {
  await h.close();
});

const i32 = (v: number) => Buffer.from(new Int32Array([v]).buffer);
const readI32 = (b: Buffer) => b.readInt32LE(0);

function req(model: string, id: string, value: number, parameters: Record<string, pb.InferParameterInit> = {}): pb.ModelInferRequestInit {
  return { model_name: model, id, inputs: [{ name: 'IN', datatype: 'INT32', shape: [1] }], raw_input_contents: [i32(value)], parameters };
}

type Msg = pb.ModelStreamInferResponse;

/** Sends the requests, half-closes, and collects every message until the server ends the stream. */
function run(requests: pb.ModelInferRequestInit[], metadata?: Record<string, string>): Promise<{ messages: Msg[]; error?: { code: number; details: string } }> {
  const stream = h.client.stream(metadata);
  const messages: Msg[] = [];
  return new Promise((resolve) => {
    stream.on('data', (m: Msg) => messages.push(m));
    stream.on('error', (error: { code: number; details: string }) => resolve({ messages, error }));
    stream.on('end', () => resolve({ messages }));
    for (const r of requests) stream.write(r);
    stream.end();
  });
}

/** `[id, OUT value or null, triton_final_response]` per message. */
function summary(messages: Msg[]): [string, number | null, boolean][] {
  return messages.map((m) => {
    const r = m.infer_response!;
    assert.equal(m.error_message, '');
    const out = r.raw_output_contents[0];
    return [r.id, out === undefined ? null : readI32(out), r.parameters.triton_final_response!.bool_param!];
  });
}

test('decoupled model: N responses, each with triton_final_response=false; the flag-only final is not sent by default', async () => {
  const { messages, error } = await run([req('repeat', 'r3', 3)]);
  assert.equal(error, undefined);
  assert.deepEqual(summary(messages), [['r3', 0, false], ['r3', 1, false], ['r3', 2, false]]);
  const first = messages[0]!.infer_response!;
  assert.equal(first.model_name, 'repeat');
  assert.equal(first.model_version, '1');
  assert.deepEqual(first.outputs.map((o) => [o.name, o.datatype, o.shape]), [['OUT', 'INT32', ['1']]]);
});

test('triton_enable_empty_final_response delivers the completion as an empty final response (also for 0 responses)', async () => {
  const on = { triton_enable_empty_final_response: { bool_param: true } };
  const { messages } = await run([req('repeat', 'e2', 2, on)]);
  assert.deepEqual(summary(messages), [['e2', 0, false], ['e2', 1, false], ['e2', null, true]]);
  const last = messages[2]!.infer_response!;
  assert.deepEqual([last.model_name, last.model_version, last.outputs, last.raw_output_contents], ['repeat', '1', [], []]);
  assert.deepEqual(summary((await run([req('repeat', 'z', 0, on)])).messages), [['z', null, true]]);
  assert.deepEqual((await run([req('repeat', 'z', 0)])).messages, []);
});

test('non-decoupled requests run concurrently and answer in request order with triton_final_response=true', async () => {
  const started = Date.now();
  const { messages } = await run([req('slow', 'a', 800), req('slow', 'b', 0), req('slow', 'c', 400), req('slow', 'd', 600)]);
  const elapsed = Date.now() - started;
  assert.deepEqual(summary(messages), [['a', 800, true], ['b', 0, true], ['c', 400, true], ['d', 600, true]]);
  // Wide margin for a loaded machine: in sequence it would take at least 1800 ms, concurrently about 800.
  assert.ok(elapsed < 1500, `concurrent (4 instances), not 1800 ms in sequence (took ${elapsed} ms)`);
});

test('decoupled requests of one stream interleave as their responses arrive', async () => {
  const slow = { delay_ms: { int64_param: 15 } };
  const { messages } = await run([req('repeat', 'x', 3, slow), req('repeat', 'y', 3, slow)]);
  const ids = summary(messages).map(([id]) => id);
  assert.deepEqual([...ids].sort(), ['x', 'x', 'x', 'y', 'y', 'y']);
  assert.ok(ids.slice(0, 3).includes('y'), `interleaved: ${ids.join(',')}`);
  assert.deepEqual(summary(messages).filter(([id]) => id === 'y').map(([, v]) => v), [0, 1, 2]);
});

test('errors are in-band by default: error_message plus id, the stream goes on', async () => {
  const { messages, error } = await run([
    req('nope', 'e1', 1), req('repeat', 'e2', -1), { ...req('slow', 'e3', 0), inputs: [{ name: 'IN', datatype: 'FP32', shape: [1] }] },
    req('slow', 'ok', 5),
  ]);
  assert.equal(error, undefined);
  const byId = new Map(messages.map((m) => [m.infer_response!.id, m]));
  assert.equal(messages.length, 4);
  assert.equal(byId.get('e1')!.error_message, "Request for unknown model: 'nope' is not found");
  assert.deepEqual([byId.get('e1')!.infer_response!.model_name, byId.get('e1')!.infer_response!.outputs], ['nope', []]);
  assert.equal(byId.get('e2')!.error_message, 'repeat count must be >= 0, got -1');
  assert.equal(byId.get('e3')!.error_message, "[request id: e3] inference input 'IN' data-type is 'FP32', but model 'slow' expects 'INT32'");
  assert.deepEqual(summary([byId.get('ok')!]), [['ok', 5, true]]);
  assert.deepEqual(messages.map((m) => m.infer_response!.id).slice(-2), ['e3', 'ok'], 'ordered requests keep their order, errors included');
});

test('metadata triton_grpc_error=true: the first error ends the stream with its gRPC status', async () => {
  const { messages, error } = await run([req('slow', 'ok', 0), req('nope', 'bad', 1), req('slow', 'late', 50)], { triton_grpc_error: 'true' });
  assert.deepEqual(error && [error.code, error.details], [status.NOT_FOUND, "Request for unknown model: 'nope' is not found"]);
  assert.ok(messages.length <= 1);
  const backend = await run([req('repeat', 'neg', -1)], { triton_grpc_error: 'true' });
  assert.deepEqual(backend.error && [backend.error.code, backend.error.details], [status.INTERNAL, 'repeat count must be >= 0, got -1']);
});

test('cancelling the stream aborts its running and queued requests', async () => {
  const stream: ClientDuplexStream<pb.ModelInferRequestInit, Msg> = h.client.stream();
  const closed = new Promise<{ code: number }>((resolve) => stream.on('error', resolve));
  const before = h.server.modelStatistics('hang').model_stats[0]!;
  // One instance: s1 runs (waits for its signal), s2 waits in the scheduler's queue.
  stream.write(req('hang', 's1', 1));
  stream.write(req('hang', 's2', 1));
  for (let i = 0; i < 100 && !hangLog().some((e) => e.id === 's1'); i++) await sleep(10);
  await sleep(20);
  assert.deepEqual(hangLog().filter((e) => e.id === 's1' || e.id === 's2'), [{ id: 's1', aborted: false }]);
  assert.equal(h.server.inflightCount, 2);
  stream.cancel();
  assert.equal((await closed).code, status.CANCELLED);
  for (let i = 0; i < 100 && h.server.inflightCount > 0; i++) await sleep(10);
  assert.equal(h.server.inflightCount, 0);
  assert.deepEqual(hangLog().filter((e) => e.id === 's1' || e.id === 's2'), [{ id: 's1', aborted: true }], 's2 never ran');
  const after = h.server.modelStatistics('hang').model_stats[0]! as { inference_stats: { fail: { count: number } } };
  assert.equal(after.inference_stats.fail.count - (before as typeof after).inference_stats.fail.count, 2);
});

test('one stream mixing decoupled, non-decoupled and unknown models: decoupled answers as they come, the rest in request order', async () => {
  const { messages, error } = await run([
    req('slow', 'a', 500), req('repeat', 'r', 2), req('nope', 'u', 1), req('slow', 'b', 0), req('repeat', 'z', 0), req('slow', 'c', 10),
  ]);
  assert.equal(error, undefined);
  const ordered = messages.filter((m) => m.infer_response!.id !== 'r');
  assert.deepEqual(ordered.map((m) => [m.infer_response!.id, m.error_message]), [
    ['a', ''], ['u', "Request for unknown model: 'nope' is not found"], ['b', ''], ['c', ''],
  ]);
  assert.deepEqual(summary(ordered.filter((m) => m.error_message === '')), [['a', 500, true], ['b', 0, true], ['c', 10, true]]);
  // The decoupled request is not held behind 'a' (500 ms): its two responses come first, each not final.
  assert.deepEqual(summary(messages.slice(0, 2)), [['r', 0, false], ['r', 1, false]]);
  assert.equal(messages.length, 6);
});

test("inferStream hands the model's spec to onModel after the lookup and before any response", () => {
  const seen: string[] = [];
  const input = { name: 'IN', datatype: 'INT32' as const, shape: [1], data: new Uint8Array(new Int32Array([1]).buffer) };
  const done = ['repeat', 'slow'].map((modelName) => new Promise<void>((resolve) => {
    h.server.inferStream({ modelName, inputs: [input] }, (r) => {
      seen.push(`${modelName}:response`);
      if (r.final) resolve();
    }, (spec) => seen.push(`${spec.name}:${spec.version}:decoupled=${spec.decoupled}`));
  }));
  assert.deepEqual(seen.slice(0, 1), ['repeat:1:decoupled=true']);
  assert.throws(() => h.server.inferStream({ modelName: 'nope', inputs: [input] }, () => {}, () => seen.push('nope')), { code: 'NOT_FOUND' });
  return Promise.all(done).then(() => {
    assert.equal(seen.filter((s) => s.includes('decoupled')).length, 2);
    assert.ok(seen.indexOf('slow:1:decoupled=false') < seen.indexOf('slow:response'));
    assert.ok(seen.indexOf('repeat:1:decoupled=true') < seen.indexOf('repeat:response'));
    assert.ok(!seen.includes('nope'));
  });
});
