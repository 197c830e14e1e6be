/**
 * One gRPC ModelStreamInfer stream gives all its requests one abort signal. A scheduler listens on it
 * only while a request waits in its queue: after N answered requests the signal must carry no listener
 * (before the fix every queued request left one behind, holding the request and its tensors for the
 * stream's lifetime). Checked over a real gRPC stream for the default scheduler, the dynamic batcher
 * and the sequence batcher; a plug-in backend hands the test the signal its requests carry.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { pb } from '@inferd/protocol';
import { createInferenceServer } from '../../src/create-server.js';
import type { InferenceServer } from '../../src/core/index.js';
import { GrpcFrontend } from '../../src/frontends/grpc/index.js';
import { Logger } from '../../src/observability/log.js';
import { connect, type TestClient } from '../support/grpc-client.js';
import { makeRepo } from '../support/temp-repo.js';
import { pluginBackend } from '../support/plugin-backend.js';

/** Echoes IN as OUT one event-loop turn later (so requests pile up in the queue), recording each signal. */
const BACKEND = pluginBackend('test_signal', `
          for (const r of requests) if (r.signal !== undefined) globalThis.__inferdSignals.add(r.signal);
          await new Promise((resolve) => setImmediate(resolve));
          for (const r of requests) r.respond({ outputs: [{ ...r.inputs[0], name: 'OUT' }] });`);

function config(maxBatch: number, scheduling: string): string {
  return [
    'backend: "test_signal"', `max_batch_size: ${maxBatch}`,
    'input [ { name: "IN" data_type: TYPE_INT32 dims: [ 1 ] } ]', 'output [ { name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] } ]',
    'instance_group [ { count: 1 kind: KIND_CPU } ]', scheduling,
  ].join('\n');
}

const signals = new Set<AbortSignal>();
let repo: { dir: string; cleanup(): void };
let backends: string;
let server: InferenceServer;
let grpc: GrpcFrontend;
let client: TestClient;

before(async () => {
  (globalThis as Record<string, unknown>).__inferdSignals = signals;
  repo = makeRepo({
    'plain/config.pbtxt': config(0, ''), 'plain/1/': null,
    'batched/config.pbtxt': config(4, 'dynamic_batching { }'), 'batched/1/': null,
    'seq/config.pbtxt': config(0, 'sequence_batching { }'), 'seq/1/': null,
  });
  backends = `${repo.dir}-backends`;
  mkdirSync(join(backends, 'test_signal'), { recursive: true });
  writeFileSync(join(backends, 'test_signal', 'index.mjs'), BACKEND);
  ({ server } = await createInferenceServer({
    modelRepository: repo.dir, backendDirectory: backends, logger: new Logger({ info: false, warning: false, error: false }),
  }));
  grpc = new GrpcFrontend(server, { port: 0, address: '127.0.0.1' });
  client = connect((await grpc.listen()).port);
});

after(async () => {
  client.close();
  await grpc.close();
  await server.shutdown();
  repo.cleanup();
  rmSync(backends, { recursive: true, force: true });
});

const N = 200;

function request(model: string, i: number, batchDim: boolean): pb.ModelInferRequestInit {
  const parameters: Record<string, pb.InferParameterInit> = {};
  if (model === 'seq') {
    parameters.sequence_id = { int64_param: 42 };
    if (i === 0) parameters.sequence_start = { bool_param: true };
    if (i === N - 1) parameters.sequence_end = { bool_param: true };
  }
  return {
    model_name: model, id: String(i), inputs: [{ name: 'IN', datatype: 'INT32', shape: batchDim ? [1, 1] : [1] }],
    raw_input_contents: [Buffer.from(new Int32Array([i]).buffer)], parameters,
  };
}

/**
 * Writes N requests at once on one stream, waits for all N answers while the stream stays open, and
 * returns the abort listeners left on the stream's signal at that point.
 */
async function listenersAfterStream(model: string, batchDim: boolean): Promise<number> {
  signals.clear();
  const stream = client.stream();
  const answered: string[] = [];
  const errors: string[] = [];
  const done = new Promise<void>((resolve, reject) => {
    stream.on('data', (m: pb.ModelStreamInferResponse) => {
      if (m.error_message !== '') errors.push(m.error_message);
      answered.push(m.infer_response?.id ?? '');
      if (answered.length === N) resolve();
    });
    stream.on('error', reject);
  });
  for (let i = 0; i < N; i++) stream.write(request(model, i, batchDim));
  await done;
  assert.deepEqual(errors, []);
  assert.deepEqual(answered, Array.from({ length: N }, (_, i) => String(i)), 'every request answered, in order');
  assert.equal(signals.size, 1, 'all requests of the stream carry its one signal');
  const [signal] = [...signals];
  const left = getEventListeners(signal!, 'abort').length;
  const ended = new Promise<void>((resolve) => stream.on('end', resolve));
  stream.end();
  await ended;
  return left;
}

test('default scheduler: no abort listener is left on the stream signal after 200 answered requests', async () => {
  assert.equal(await listenersAfterStream('plain', false), 0);
});

test('dynamic batcher: no abort listener is left on the stream signal after 200 answered requests', async () => {
  assert.equal(await listenersAfterStream('batched', true), 0);
});

test('sequence batcher: no abort listener is left on the stream signal after 200 answered requests', async () => {
  assert.equal(await listenersAfterStream('seq', false), 0);
});

test('a stream cancelled with requests still queued answers them CANCELLED and leaves no listener', async () => {
  signals.clear();
  const stream = client.stream();
  stream.on('error', () => {});
  stream.on('data', () => {});
  for (let i = 0; i < 20; i++) stream.write(request('plain', i, false));
  // Wait until the backend has seen the stream's signal: the first request executes, the rest are queued.
  for (let i = 0; i < 2000 && signals.size === 0; i++) await new Promise((r) => setTimeout(r, 1));
  const [signal] = [...signals];
  assert.ok(signal !== undefined);
  stream.cancel();
  for (let i = 0; i < 2000 && !signal.aborted; i++) await new Promise((r) => setTimeout(r, 1));
  assert.ok(signal.aborted);
  for (let i = 0; i < 2000 && server.inflightCount > 0; i++) await new Promise((r) => setTimeout(r, 1));
  assert.equal(server.inflightCount, 0, 'queued requests were answered (CANCELLED), none hangs');
  assert.equal(getEventListeners(signal, 'abort').length, 0);
});
