/** HttpClient against a live inferd: every API, JSON and binary tensors, compression, errors, timeouts, aborts. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpClient, InferInput, InferRequestedOutput, InferenceServerError } from '../src/http.js';
import { startLiveServer, type LiveServer } from './support/live-server.js';

let live: LiveServer;
let client: HttpClient;

before(async () => {
  live = await startLiveServer();
  client = new HttpClient(live.httpUrl);
});
after(async () => {
  client.close();
  await live.close();
});

function simpleInputs(binary: boolean): InferInput[] {
  const a = Int32Array.from({ length: 16 }, (_, i) => i);
  const b = new Int32Array(16).fill(1);
  return [
    new InferInput('INPUT0', [1, 16], 'INT32').setData(a, { binary }),
    new InferInput('INPUT1', [1, 16], 'INT32').setData(b, { binary }),
  ];
}

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
  assert.equal(meta.name, 'simple');
  assert.deepEqual(meta.versions, ['1']);
  assert.deepEqual(meta.inputs.map((i) => [i.name, i.datatype, i.shape]), [['INPUT0', 'INT32', [-1, 16]], ['INPUT1', 'INT32', [-1, 16]]]);
  const config = await client.getModelConfig('simple', '1');
  assert.equal(config.name, 'simple');
  assert.equal(config.max_batch_size, 8);
});

for (const binary of [true, false]) {
  test(`infer simple with ${binary ? 'binary' : 'JSON'} inputs and outputs`, async () => {
    const outputs = [new InferRequestedOutput('OUTPUT0', { binary }), new InferRequestedOutput('OUTPUT1', { binary })];
    const r = await client.infer('simple', simpleInputs(binary), { outputs, requestId: 'r-1' });
    assert.equal(r.id, 'r-1');
    assert.equal(r.modelName, 'simple');
    assert.equal(r.modelVersion, '1');
    assert.deepEqual(r.output('OUTPUT0')?.shape, [1, 16]);
    assert.equal(r.output('OUTPUT0')?.datatype, 'INT32');
    assert.deepEqual([...(r.asTypedArray('OUTPUT0') as Int32Array)], Array.from({ length: 16 }, (_, i) => i + 1));
    assert.deepEqual([...(r.asTypedArray('OUTPUT1') as Int32Array)], Array.from({ length: 16 }, (_, i) => i - 1));
    const raw = r.response().outputs!.find((o) => o.name === 'OUTPUT0')!;
    assert.equal(binary ? raw.parameters?.binary_data_size : raw.data !== undefined, binary ? 64 : true);
  });
}

test('infer without listed outputs returns every output in binary', async () => {
  const r = await client.infer('simple', simpleInputs(true), { version: 1 });
  assert.deepEqual(r.outputNames().sort(), ['OUTPUT0', 'OUTPUT1']);
  assert.equal(r.response().outputs![0]!.parameters?.binary_data_size, 64);
  assert.equal(r.id, '');
});

test('strings (BYTES) round trip, binary and JSON, from strings and bytes', async () => {
  const words = ['hello', 'wörld', '', 'inferd'];
  for (const binary of [true, false]) {
    const input = new InferInput('INPUT0', [1, 4], 'BYTES').setData(words, { binary });
    const r = await client.infer('strings', [input], { outputs: [new InferRequestedOutput('OUTPUT0', { binary })] });
    assert.deepEqual(r.asStrings('OUTPUT0'), words);
    assert.equal(r.output('OUTPUT0')?.datatype, 'BYTES');
  }
  const asBytes = words.map((w) => new TextEncoder().encode(w));
  const r = await client.infer('strings', [new InferInput('INPUT0', [1, 4], 'BYTES').setData(asBytes)]);
  assert.deepEqual(r.asBytes('OUTPUT0').map((b) => new TextDecoder().decode(b)), words);
  assert.throws(() => r.asTypedArray('OUTPUT0'), InferenceServerError);
});

test('classification returns score:index:label strings', async () => {
  const input = new InferInput('INPUT0', [1, 4], 'FP32').setData([0.1, 3.0, 0.2, 1.5]);
  for (const binary of [true, false]) {
    const r = await client.infer('classifier', [input], { outputs: [new InferRequestedOutput('OUTPUT0', { classCount: 2, binary })] });
    const top = r.asStrings('OUTPUT0');
    assert.equal(top.length, 2);
    assert.match(top[0]!, /^0\.\d{6}:1:dog$/);
    assert.match(top[1]!, /^0\.\d{6}:3:fish$/);
    assert.deepEqual(r.output('OUTPUT0')?.shape, [1, 2]);
  }
});

test('plain number arrays and typed arrays of another kind are converted to the datatype', async () => {
  const input = new InferInput('INPUT0', [1, 3], 'FP32').setData([1.5, -2, 3]);
  const r = await client.infer('identity_fp32', [input]);
  assert.ok(r.asTypedArray('OUTPUT0') instanceof Float32Array);
  assert.deepEqual([...r.asTypedArray('OUTPUT0')], [1.5, -2, 3]);
  const r2 = await client.infer('identity_fp32', [new InferInput('INPUT0', [1, 2], 'FP32').setData(new Float64Array([0.25, 8]), { binary: false })]);
  assert.deepEqual([...r2.asTypedArray('OUTPUT0')], [0.25, 8]);
});

for (const compression of ['gzip', 'deflate'] as const) {
  test(`${compression}-compressed request and response`, async () => {
    const seen: { sent?: string | null; got?: string | null } = {};
    const recording = new HttpClient(live.httpUrl, {
      fetch: async (url, init) => {
        seen.sent = new Headers(init?.headers).get('content-encoding');
        const res = await fetch(url, init);
        seen.got = res.headers.get('content-encoding');
        return res;
      },
    });
    const r = await recording.infer('simple', simpleInputs(true), { compression });
    assert.deepEqual([...(r.asTypedArray('OUTPUT0') as Int32Array)].slice(0, 3), [1, 2, 3]);
    assert.equal(seen.sent, compression);
    assert.equal(seen.got, compression);
    // Without the option nothing is compressed either way (fetch alone would ask for gzip).
    await recording.infer('simple', simpleInputs(true));
    assert.equal(seen.sent, null);
    assert.equal(seen.got, null);
  });
}

test('statistics count the requests', async () => {
  const before = await client.getInferenceStatistics('simple');
  await client.infer('simple', simpleInputs(true));
  const after = await client.getInferenceStatistics('simple', '1');
  const count = (s: typeof before) => s.model_stats[0]!.inference_stats.success!.count;
  assert.equal(count(after), count(before) + 1);
  const all = await client.getInferenceStatistics();
  assert.ok(all.model_stats.some((m) => m.name === 'simple'));
});

test('repository index; load and unload answer as the server does', async () => {
  const index = await client.getModelRepositoryIndex();
  assert.ok(index.some((m) => m.name === 'simple' && m.state === 'READY'));
  const ready = await client.getModelRepositoryIndex({ ready: true });
  assert.ok(ready.every((m) => m.state === 'READY'));
  // Control mode none: load/unload are refused with UNAVAILABLE (503) and Triton's message.
  const refused = (err: unknown) =>
    err instanceof InferenceServerError && err.status === 503 && /explicit model load \/ unload is not allowed/.test(err.message);
  await assert.rejects(client.loadModel('simple', { config: { max_batch_size: 4 }, files: { '1/model.onnx': new Uint8Array([1, 2, 3]) } }), refused);
  await assert.rejects(client.unloadModel('simple', { unloadDependents: true }), refused);
});

test('trace and log settings', async () => {
  const trace = await client.getTraceSettings();
  assert.deepEqual(trace.trace_level, ['OFF']);
  const modelTrace = await client.getTraceSettings('simple');
  assert.equal(modelTrace.trace_rate, '1000');
  const log = await client.getLogSettings();
  // createInferenceServer's default logger prints warnings and errors only.
  assert.equal(log.log_info, false);
  assert.equal(log.log_warning, true);
  assert.equal(typeof log.log_verbose_level, 'number');
});

test('load sends the config as JSON text and file overrides as base64; headers and requestId reach the wire', async () => {
  const sent: { url: string; body: string; headers: Headers }[] = [];
  const recording = new HttpClient(`http://${live.httpUrl}/`, {
    headers: { 'x-everywhere': '1' },
    fetch: async (url, init) => {
      const b = init?.body;
      sent.push({ url: String(url), body: typeof b === 'string' ? b : b === undefined ? '' : new TextDecoder().decode(b as Uint8Array), headers: new Headers(init?.headers) });
      return fetch(url, init);
    },
  });
  await assert.rejects(recording.loadModel('simple', { config: { max_batch_size: 4 }, files: { '1/model.onnx': new Uint8Array([0, 255, 7]) } }));
  const load = sent.at(-1)!;
  assert.equal(load.url, `http://${live.httpUrl}/v2/repository/models/simple/load`);
  assert.deepEqual(JSON.parse(load.body), { parameters: { config: '{"max_batch_size":4}', 'file:1/model.onnx': 'AP8H' } });
  await recording.infer('identity_fp32', [new InferInput('INPUT0', [1, 1], 'FP32').setData([1], { binary: false })], {
    requestId: 'h', headers: { 'x-call': '2' }, sequenceId: 9n, parameters: { big: 2n ** 60n },
  });
  const infer = sent.at(-1)!;
  assert.equal(infer.headers.get('x-everywhere'), '1');
  assert.equal(infer.headers.get('x-call'), '2');
  const body = JSON.parse(infer.body.replace(/(\d{16,})/g, '"$1"'));
  assert.equal(body.id, 'h');
  assert.deepEqual(body.parameters, { sequence_id: 9, sequence_start: false, sequence_end: false, big: String(2n ** 60n), binary_data_output: true });
  assert.deepEqual(body.inputs[0].data, [1.0]);
});

test('settings updates reach the server and the full settings come back', async () => {
  const log = await client.updateLogSettings({ log_verbose_level: 1 });
  assert.equal(log.log_verbose_level, 1);
  assert.equal((await client.updateLogSettings({ log_verbose_level: 0 })).log_verbose_level, 0);
  const trace = await client.updateTraceSettings({ trace_rate: 7 }, 'simple');
  assert.equal(trace.trace_rate, '7');
  assert.equal((await client.getTraceSettings()).trace_rate, '1000', 'a model setting leaves the global one alone');
});

test('unknown model: the status and message the server sends', async () => {
  await assert.rejects(client.infer('nope', simpleInputs(true)), (err: unknown) => {
    assert.ok(err instanceof InferenceServerError);
    assert.equal(err.status, 404);
    assert.equal(err.message, "Request for unknown model: 'nope' is not found");
    return true;
  });
  await assert.rejects(client.getModelMetadata('nope'), { status: 404 });
});

test('a request the server refuses (wrong shape) carries status 400 and the message', async () => {
  const bad = [new InferInput('INPUT0', [1, 4], 'INT32').setData([1, 2, 3, 4]), simpleInputs(true)[1]!];
  await assert.rejects(client.infer('simple', bad, { requestId: 'x' }), (err: unknown) =>
    err instanceof InferenceServerError && err.status === 400 && err.message.startsWith('[request id: x] unexpected shape for input'));
});

test('client-side data errors', () => {
  assert.throws(() => new InferInput('X', [2], 'INT32').setData([1]), InferenceServerError);
  assert.throws(() => new InferInput('X', [1], 'NOPE'), /unknown datatype/);
  assert.throws(() => new InferInput('X', [1], 'INT32').setData(['a']), InferenceServerError);
});

test('timeoutMs rejects with timedOut; AbortSignal rejects with aborted', async () => {
  const slow = (ms: number) => [new InferInput('IN', [1], 'INT32').setData([ms])];
  await assert.rejects(client.infer('slow', slow(2000), { timeoutMs: 50 }), (err: unknown) =>
    err instanceof InferenceServerError && err.timedOut && !err.aborted);
  const controller = new AbortController();
  const pending = client.infer('slow', slow(2000), { signal: controller.signal });
  setTimeout(() => controller.abort(), 20);
  await assert.rejects(pending, (err: unknown) => err instanceof InferenceServerError && err.aborted);
  const fast = await client.infer('slow', slow(1), { timeoutMs: 10_000 });
  assert.deepEqual([...fast.asTypedArray('OUT')], [1]);
});

test('an unreachable server rejects with UNAVAILABLE', async () => {
  const dead = new HttpClient('http://127.0.0.1:1');
  await assert.rejects(dead.isServerLive(), (err: unknown) => err instanceof InferenceServerError && err.code === 14);
});
