/** GrpcClient against a live inferd: every API, raw and typed contents, streaming, compression, errors, deadlines, aborts. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { GrpcClient, InferInput, InferRequestedOutput, InferenceServerError, type StreamResponse } from '../src/grpc.js';
import { startLiveServer, type LiveServer } from './support/live-server.js';

let live: LiveServer;
let client: GrpcClient;

before(async () => {
  live = await startLiveServer();
  client = new GrpcClient(live.grpcUrl);
});
after(async () => {
  client.close();
  await live.close();
});

function simpleInputs(binary: boolean): InferInput[] {
  return [
    new InferInput('INPUT0', [1, 16], 'INT32').setData(Int32Array.from({ length: 16 }, (_, i) => i), { binary }),
    new InferInput('INPUT1', [1, 16], 'INT32').setData(new Int32Array(16).fill(1), { binary }),
  ];
}

const NOT_FOUND = 5;

test('health, server and model metadata, config', async () => {
  assert.equal(await client.isServerLive(), true);
  assert.equal(await client.isServerReady(), true);
  assert.equal(await client.isModelReady('simple'), true);
  assert.equal(await client.isModelReady('simple', 1), true);
  assert.equal(await client.isModelReady('nope'), false);
  const server = await client.getServerMetadata();
  assert.equal(server.name, 'triton');
  assert.ok(server.extensions.includes('binary_tensor_data'));
  const meta = await client.getModelMetadata('simple');
  assert.deepEqual(meta.versions, ['1']);
  assert.deepEqual(meta.inputs.map((i) => [i.name, i.datatype, i.shape]), [['INPUT0', 'INT32', [-1, 16]], ['INPUT1', 'INT32', [-1, 16]]]);
  const config = await client.getModelConfig('simple');
  assert.equal(config.name, 'simple');
  assert.equal(config.max_batch_size, 8);
});

for (const binary of [true, false]) {
  test(`infer simple with ${binary ? 'raw' : 'typed'} input contents`, async () => {
    const r = await client.infer('simple', simpleInputs(binary), {
      outputs: [new InferRequestedOutput('OUTPUT0'), new InferRequestedOutput('OUTPUT1')], requestId: 'g-1',
    });
    assert.equal(r.id, 'g-1');
    assert.equal(r.modelName, 'simple');
    assert.equal(r.modelVersion, '1');
    assert.deepEqual(r.output('OUTPUT1')?.shape, [1, 16]);
    assert.deepEqual([...(r.asTypedArray('OUTPUT0') as Int32Array)], Array.from({ length: 16 }, (_, i) => i + 1));
    assert.deepEqual([...(r.asTypedArray('OUTPUT1') as Int32Array)], Array.from({ length: 16 }, (_, i) => i - 1));
    assert.equal(r.response().raw_output_contents.length, 2);
  });
}

test('strings (BYTES) round trip, raw and typed', async () => {
  const words = ['hello', 'wörld', '', 'inferd'];
  for (const binary of [true, false]) {
    const r = await client.infer('strings', [new InferInput('INPUT0', [1, 4], 'BYTES').setData(words, { binary })]);
    assert.deepEqual(r.asStrings('OUTPUT0'), words);
  }
});

test('classification over gRPC', async () => {
  const input = new InferInput('INPUT0', [1, 4], 'FP32').setData([0.1, 3.0, 0.2, 1.5]);
  const r = await client.infer('classifier', [input], { outputs: [new InferRequestedOutput('OUTPUT0', { classCount: 2 })] });
  const top = r.asStrings('OUTPUT0');
  assert.match(top[0]!, /^0\.\d{6}:1:dog$/);
  assert.match(top[1]!, /^0\.\d{6}:3:fish$/);
  assert.equal(r.output('OUTPUT0')?.datatype, 'BYTES');
});

test('decoupled streaming: repeat_int32 answers each element, then errors in-band, stream stays open', async () => {
  const stream = client.stream();
  const inputs = (values: number[]) => [
    new InferInput('IN', [values.length], 'INT32').setData(values),
    new InferInput('DELAY', [values.length], 'UINT32').setData(values.map(() => 1)),
  ];
  stream.send('repeat_int32', inputs([4, 5, 6]), { requestId: 'a', enableEmptyFinalResponse: true });
  const got: StreamResponse[] = [];
  for await (const r of stream) {
    got.push(r);
    if (r.final) break;
  }
  assert.deepEqual(got.filter((r) => r.result!.outputNames().length > 0).map((r) => r.result!.asTypedArray('OUT')[0]), [4, 5, 6]);
  assert.deepEqual(got.map((r) => r.final), [false, false, false, true]);
  assert.ok(got.every((r) => r.requestId === 'a' && r.error === undefined));

  // A second stream: an unknown model fails in-band, the next request on the same stream still works.
  const s2 = client.stream();
  s2.send('nope', inputs([1]), { requestId: 'bad' });
  s2.send('simple', simpleInputs(true), { requestId: 'good' });
  s2.end();
  const all: StreamResponse[] = [];
  for await (const r of s2) all.push(r);
  const bad = all.find((r) => r.requestId === 'bad')!;
  assert.equal(bad.error?.message, "Request for unknown model: 'nope' is not found");
  assert.equal(bad.final, true);
  const good = all.find((r) => r.requestId === 'good')!;
  assert.deepEqual([...good.result!.asTypedArray('OUTPUT0')].slice(0, 2), [1, 2]);
});

test('ModelInfer on a decoupled model is refused with UNIMPLEMENTED', async () => {
  await assert.rejects(client.infer('repeat_int32', [new InferInput('IN', [1], 'INT32').setData([1])]), (err: unknown) =>
    err instanceof InferenceServerError && err.code === 12 && /decoupled/.test(err.message));
});

test('aborting a stream ends the iteration without an error', async () => {
  const controller = new AbortController();
  const stream = client.stream({ signal: controller.signal });
  stream.send('repeat_int32', [
    new InferInput('IN', [3], 'INT32').setData([1, 2, 3]),
    new InferInput('DELAY', [3], 'UINT32').setData([1, 5000, 5000]),
  ]);
  const got: StreamResponse[] = [];
  for await (const r of stream) {
    got.push(r);
    controller.abort();
  }
  assert.equal(got.length, 1);
});

for (const compression of ['gzip', 'deflate'] as const) {
  test(`${compression}-compressed messages`, async () => {
    const c = new GrpcClient(live.grpcUrl, { compression });
    try {
      const r = await c.infer('simple', simpleInputs(true));
      assert.deepEqual([...r.asTypedArray('OUTPUT0')].slice(0, 3), [1, 2, 3]);
    } finally {
      c.close();
    }
  });
}

test('statistics (counters as numbers)', async () => {
  const before = await client.getInferenceStatistics('simple');
  await client.infer('simple', simpleInputs(true));
  const after = await client.getInferenceStatistics('simple', 1);
  const count = (s: typeof before) => s.model_stats[0]!.inference_stats.success!.count;
  assert.equal(typeof count(after), 'number');
  assert.equal(count(after), count(before) + 1);
  assert.equal(after.model_stats[0]!.version, '1');
  const all = await client.getInferenceStatistics();
  assert.ok(all.model_stats.some((m) => m.name === 'simple'));
});

test('repository index; load and unload answer as the server does', async () => {
  const index = await client.getModelRepositoryIndex();
  assert.ok(index.some((m) => m.name === 'simple' && m.state === 'READY' && m.version === '1' && !('reason' in m)));
  const refused = (err: unknown) =>
    err instanceof InferenceServerError && err.code === 14 && /explicit model load \/ unload is not allowed/.test(err.message);
  await assert.rejects(client.loadModel('simple', { config: '{"max_batch_size":4}', files: { '1/model.onnx': new Uint8Array([1]) } }), refused);
  await assert.rejects(client.unloadModel('simple', { unloadDependents: false }), refused);
});

test('trace and log settings', async () => {
  const trace = await client.getTraceSettings();
  assert.deepEqual(trace.trace_level, ['OFF']);
  assert.equal(trace.trace_rate, '1000');
  const log = await client.getLogSettings();
  // createInferenceServer's default logger prints warnings and errors only.
  assert.equal(log.log_info, false);
  assert.equal(log.log_warning, true);
  assert.equal(typeof log.log_verbose_level, 'number');
});

test('settings updates reach the server and the full settings come back', async () => {
  const log = await client.updateLogSettings({ log_verbose_level: 1 });
  assert.equal(log.log_verbose_level, 1);
  assert.equal((await client.updateLogSettings({ log_verbose_level: 0 })).log_verbose_level, 0);
  const trace = await client.updateTraceSettings({ trace_rate: 7 }, 'simple');
  assert.equal(trace.trace_rate, '7');
  assert.equal((await client.getTraceSettings()).trace_rate, '1000', 'a model setting leaves the global one alone');
});

test('unknown model: NOT_FOUND and the server message', async () => {
  await assert.rejects(client.infer('nope', simpleInputs(true)), (err: unknown) => {
    assert.ok(err instanceof InferenceServerError);
    assert.equal(err.code, NOT_FOUND);
    assert.equal(err.status, undefined);
    assert.equal(err.message, "Request for unknown model: 'nope' is not found");
    return true;
  });
  await assert.rejects(client.getModelMetadata('nope'), { code: NOT_FOUND });
});

test('timeoutMs is the call deadline; AbortSignal cancels the call', async () => {
  const slow = (ms: number) => [new InferInput('IN', [1], 'INT32').setData([ms])];
  await assert.rejects(client.infer('slow', slow(2000), { timeoutMs: 50 }), (err: unknown) =>
    err instanceof InferenceServerError && err.timedOut);
  const controller = new AbortController();
  const pending = client.infer('slow', slow(2000), { signal: controller.signal });
  setTimeout(() => controller.abort(), 20);
  await assert.rejects(pending, (err: unknown) => err instanceof InferenceServerError && err.aborted);
  const fast = await client.infer('slow', slow(1), { timeoutMs: 10_000 });
  assert.deepEqual([...fast.asTypedArray('OUT')], [1]);
});
