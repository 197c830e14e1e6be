/**
 * Cancellation end to end (issue #4 item 4): a client that goes away while its request waits in a
 * scheduler's queue costs no execution. A plug-in backend with one instance holds its first execution
 * until the test opens the gate, so the other requests queue behind it; then (a) an HTTP client
 * destroys its socket, (b) a gRPC client cancels its ModelInfer call, (c) a gRPC client cancels its
 * ModelStreamInfer stream. The backend records the ids it executed: the cancelled ones must never
 * appear, the others must come back with their own values. Run for the default scheduler and the
 * dynamic batcher. No timing: the test waits on the server's in-flight count (a queued request counts
 * until its CANCELLED answer is delivered).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { status, type ClientDuplexStream } from '@grpc/grpc-js';
import type { pb } from '@inferd/protocol';
import { createInferenceServer } from '../../src/create-server.js';
import type { InferenceServer } from '../../src/core/index.js';
import { HttpFrontend } from '../../src/frontends/http/index.js';
import { GrpcFrontend } from '../../src/frontends/grpc/index.js';
import { connect, type TestClient } from '../support/grpc-client.js';
import { inferJson } from '../support/http-harness.js';
import { makeRepo } from '../support/temp-repo.js';
import { pluginBackend } from '../support/plugin-backend.js';

/** Records every execution's request ids; while the gate is shut, each execution waits to be let go. */
const GATED_BACKEND = pluginBackend('test_cancel_gate', `
          const state = globalThis.__inferdCancelGate;
          state.log.push(requests.map((r) => r.id));
          if (!state.open) await new Promise((resolve) => state.gates.push(resolve));
          for (const r of requests) r.respond({ outputs: [{ ...r.inputs[0], name: 'OUTPUT0' }] });`);

interface GateState { log: string[][]; gates: (() => void)[]; open: boolean }

function freshGate(): GateState {
  const g = globalThis as Record<string, unknown>;
  g.__inferdCancelGate = { log: [], gates: [], open: false } satisfies GateState;
  return g.__inferdCancelGate as GateState;
}

function openGate(state: GateState): void {
  state.open = true;
  while (state.gates.length > 0) state.gates.shift()!();
}

function config(scheduling: string): string {
  return [
    'backend: "test_cancel_gate"', 'max_batch_size: 8',
    'input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 2 ] } ]',
    'output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 2 ] } ]',
    'instance_group [ { count: 1 kind: KIND_CPU } ]', scheduling,
  ].join('\n');
}

/** `plain` runs on the default scheduler, `batched` on the dynamic batcher (no delay). */
const MODELS = { plain: config(''), batched: config('dynamic_batching { }') } as const;
type ModelName = keyof typeof MODELS;

interface Served {
  server: InferenceServer;
  state: GateState;
  httpPort: number;
  grpc: TestClient;
}

async function serve(body: (s: Served) => Promise<void>): Promise<void> {
  const state = freshGate();
  const repo = makeRepo({
    'plain/config.pbtxt': MODELS.plain, 'plain/1/': null, 'batched/config.pbtxt': MODELS.batched, 'batched/1/': null,
  });
  const backends = `${repo.dir}-backends`;
  mkdirSync(join(backends, 'test_cancel_gate'), { recursive: true });
  writeFileSync(join(backends, 'test_cancel_gate', 'index.mjs'), GATED_BACKEND);
  const { server } = await createInferenceServer({ modelRepository: repo.dir, backendDirectory: backends });
  const httpFrontend = new HttpFrontend(server, { port: 0, address: '127.0.0.1', maxInputSize: 1 << 20 });
  const grpcFrontend = new GrpcFrontend(server, { port: 0, address: '127.0.0.1' });
  const { port: httpPort } = await httpFrontend.listen();
  const { port: grpcPort } = await grpcFrontend.listen();
  const grpc = connect(grpcPort);
  try {
    await body({ server, state, httpPort, grpc });
  } finally {
    openGate(state);
    grpc.close();
    await httpFrontend.close();
    await grpcFrontend.close();
    await server.shutdown(1000);
    repo.cleanup();
    rmSync(backends, { recursive: true, force: true });
  }
}

/** Polls (10 ms steps, 10 s at most: a wide margin, never a speed check) until `ok()` holds. */
async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !ok(); i++) await sleep(10);
  assert.ok(ok(), `timed out waiting for ${what}`);
}

/** Waits until the server holds exactly `n` requests (running or queued). */
function inflight(server: InferenceServer, n: number): Promise<void> {
  return until(`${n} requests in flight (now ${server.inflightCount})`, () => server.inflightCount === n);
}

const values = (id: string): number[] => [id.length, id.charCodeAt(id.length - 1)];

function httpBody(id: string): string {
  return JSON.stringify({ id, inputs: [{ name: 'INPUT0', shape: [1, 2], datatype: 'FP32', data: values(id) }] });
}

/** An HTTP infer whose answer is expected; resolves with OUTPUT0's values. */
async function httpInfer(port: number, model: ModelName, id: string): Promise<number[]> {
  const r = await inferJson(port, model, JSON.parse(httpBody(id)));
  assert.equal(r.status, 200, r.text);
  const json = JSON.parse(r.text) as { id: string; outputs: { name: string; data: number[] }[] };
  assert.equal(json.id, id);
  return json.outputs[0]!.data;
}

/** An HTTP infer on its own connection, to be destroyed by the test. */
function httpDoomed(port: number, model: ModelName, id: string): { destroy(): void } {
  const body = httpBody(id);
  const req = http.request({
    host: '127.0.0.1', port, method: 'POST', path: `/v2/models/${model}/infer`, agent: false,
    headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
  });
  req.on('error', () => {}); // the destroy below surfaces as 'socket hang up'
  req.on('response', () => assert.fail(`cancelled request ${id} was answered`));
  req.end(body);
  return { destroy: () => req.destroy() };
}

function grpcRequest(model: ModelName, id: string): pb.ModelInferRequestInit {
  return {
    model_name: model, id, inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 2] }],
    raw_input_contents: [Buffer.from(new Float32Array(values(id)).buffer)],
  };
}

const readOutput = (r: pb.ModelInferResponse): number[] => {
  const b = r.raw_output_contents[0]!;
  return [...new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))];
};

async function grpcInfer(client: TestClient, model: ModelName, id: string): Promise<number[]> {
  const r = await client.call<pb.ModelInferResponse>('ModelInfer', grpcRequest(model, id));
  assert.equal(r.id, id);
  return readOutput(r);
}

type Stream = ClientDuplexStream<pb.ModelInferRequestInit, pb.ModelStreamInferResponse>;

/** Collects a stream's responses by id until the server ends it (or it fails). */
function collect(stream: Stream): Promise<{ byId: Map<string, number[]>; error?: { code: number } }> {
  const byId = new Map<string, number[]>();
  return new Promise((resolve) => {
    stream.on('data', (m: pb.ModelStreamInferResponse) => {
      assert.equal(m.error_message, '');
      byId.set(m.infer_response!.id, readOutput(m.infer_response!));
    });
    stream.on('error', (error: { code: number }) => resolve({ byId, error }));
    stream.on('end', () => resolve({ byId }));
  });
}

/** What a scenario queued: how to cancel, the ids that must never run, and the answers of the others. */
interface Queued {
  cancel: () => Promise<void>;
  cancelled: string[];
  kept: Promise<Answer[]>;
}
type Answer = [id: string, output: number[]];

/** The common frame: a held first execution, requests queued behind it by `queue`, then the gate opens. */
async function scenario(
  s: Served, model: ModelName,
  queue: () => Promise<Queued>,
): Promise<void> {
  const before = s.server.modelStatistics(model).model_stats[0] as { inference_stats: { fail: { count: number } } };
  const blocker = httpInfer(s.httpPort, model, 'blocker');
  await until('the blocker to execute', () => s.state.log.length === 1);
  const { cancel, cancelled, kept } = await queue();
  const queued = s.server.inflightCount;
  await cancel();
  await inflight(s.server, queued - cancelled.length);
  openGate(s.state);
  assert.deepEqual(await blocker, values('blocker'));
  const answers = await kept;
  for (const [id, out] of answers) assert.deepEqual(out, values(id), `answer of ${id}`);
  const keptIds = answers.map(([id]) => id);
  const expected = model === 'batched' ? [['blocker'], keptIds] : [['blocker'], ...keptIds.map((id) => [id])];
  assert.deepEqual(s.state.log, expected, 'executions (cancelled requests never run)');
  await inflight(s.server, 0);
  const after = s.server.modelStatistics(model).model_stats[0] as { inference_count: number; inference_stats: { fail: { count: number } } };
  assert.equal(after.inference_stats.fail.count - before.inference_stats.fail.count, cancelled.length, 'cancelled requests count as failures');
  assert.equal(after.inference_count, 1 + keptIds.length);
}

for (const model of ['plain', 'batched'] as const) {
  test(`${model}: an HTTP client that closes its connection while queued is never executed`, async () => {
    await serve((s) => scenario(s, model, async () => {
      const first = httpInfer(s.httpPort, model, 'h-keep-1');
      await inflight(s.server, 2);
      const doomed = httpDoomed(s.httpPort, model, 'h-cancel');
      await inflight(s.server, 3);
      const second = httpInfer(s.httpPort, model, 'h-keep-2');
      await inflight(s.server, 4);
      return {
        cancel: async () => doomed.destroy(),
        cancelled: ['h-cancel'],
        kept: Promise.all([first, second]).then(([a, b]): Answer[] => [['h-keep-1', a], ['h-keep-2', b]]),
      };
    }));
  });

  test(`${model}: a cancelled gRPC ModelInfer call while queued is never executed`, async () => {
    await serve((s) => scenario(s, model, async () => {
      const first = grpcInfer(s.grpc, model, 'g-keep-1');
      await inflight(s.server, 2);
      const doomed = s.grpc.start('ModelInfer', grpcRequest(model, 'g-cancel'));
      const rejected = assert.rejects(doomed.promise, { code: status.CANCELLED });
      await inflight(s.server, 3);
      const second = grpcInfer(s.grpc, model, 'g-keep-2');
      await inflight(s.server, 4);
      return {
        cancel: async () => {
          doomed.cancel();
          await rejected;
        },
        cancelled: ['g-cancel'],
        kept: Promise.all([first, second]).then(([a, b]): Answer[] => [['g-keep-1', a], ['g-keep-2', b]]),
      };
    }));
  });

  test(`${model}: the queued requests of a cancelled ModelStreamInfer stream are never executed`, async () => {
    await serve((s) => scenario(s, model, async () => {
      const keep: Stream = s.grpc.stream();
      const keepDone = collect(keep);
      keep.write(grpcRequest(model, 's-keep-1'));
      await inflight(s.server, 2);
      const doomed: Stream = s.grpc.stream();
      const doomedDone = collect(doomed);
      doomed.write(grpcRequest(model, 's-cancel-1'));
      doomed.write(grpcRequest(model, 's-cancel-2'));
      await inflight(s.server, 4);
      keep.write(grpcRequest(model, 's-keep-2'));
      await inflight(s.server, 5);
      keep.end();
      return {
        cancel: async () => {
          doomed.cancel();
          const { byId, error } = await doomedDone;
          assert.equal(error?.code, status.CANCELLED);
          assert.equal(byId.size, 0);
        },
        cancelled: ['s-cancel-1', 's-cancel-2'],
        kept: keepDone.then(({ byId, error }): Answer[] => {
          assert.equal(error, undefined);
          return [['s-keep-1', byId.get('s-keep-1')!], ['s-keep-2', byId.get('s-keep-2')!]];
        }),
      };
    }));
  });
}
