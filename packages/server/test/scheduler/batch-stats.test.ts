/**
 * Statistics show the batches the dynamic batcher formed (issue #4 item 7, spec §4.4): the real ONNX
 * identity model with dynamic_batching and a queue delay, 16 concurrent requests over HTTP, then 16
 * over gRPC. `batch_stats` must hold sizes > 1, executions must be fewer than inferences, the batch
 * sizes times their execution counts must add up to `inference_count`, and every request must be a
 * success with queue and compute time. Checked through HTTP's /stats and gRPC's ModelStatistics.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { pb } from '@inferd/protocol';
import { createInferenceServer } from '../../src/create-server.js';
import type { InferenceServer } from '../../src/core/index.js';
import { HttpFrontend } from '../../src/frontends/http/index.js';
import { GrpcFrontend } from '../../src/frontends/grpc/index.js';
import { connect, type TestClient } from '../support/grpc-client.js';
import { inferJson, request } from '../support/http-harness.js';
import { makeRepo } from '../support/temp-repo.js';

const REQUESTS = 16;

/**
 * max_batch_size 16 with a 200 ms delay (a wide margin, not a speed check): requests arriving while one
 * waits join its batch, and a full batch goes at once.
 */
const CONFIG = [
  'platform: "onnxruntime_onnx"', 'max_batch_size: 16',
  'input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ -1 ] } ]',
  'output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ -1 ] } ]',
  'instance_group [ { count: 1 kind: KIND_CPU } ]',
  'dynamic_batching { max_queue_delay_microseconds: 200000 }',
].join('\n');

let server: InferenceServer;
let httpFrontend: HttpFrontend;
let grpcFrontend: GrpcFrontend;
let httpPort: number;
let grpc: TestClient;
let cleanup: () => void;

before(async () => {
  const repo = makeRepo({ 'ident/config.pbtxt': CONFIG, 'ident/1/': null });
  copyFileSync(
    fileURLToPath(new URL('../../../../examples/models/identity_fp32/1/model.onnx', import.meta.url)),
    join(repo.dir, 'ident', '1', 'model.onnx'),
  );
  cleanup = repo.cleanup;
  ({ server } = await createInferenceServer({ modelRepository: repo.dir }));
  httpFrontend = new HttpFrontend(server, { port: 0, address: '127.0.0.1', maxInputSize: 1 << 20 });
  grpcFrontend = new GrpcFrontend(server, { port: 0, address: '127.0.0.1' });
  ({ port: httpPort } = await httpFrontend.listen());
  grpc = connect((await grpcFrontend.listen()).port);
});

after(async () => {
  grpc.close();
  await httpFrontend.close();
  await grpcFrontend.close();
  await server.shutdown(1000);
  cleanup();
});

const row = (i: number): number[] => [i, i + 0.25, -(i + 1)];

/** The fields checked, as numbers (gRPC carries 64-bit counters as strings). */
interface Figures {
  inference: number;
  execution: number;
  batches: [size: number, executions: number][];
  success: number;
  fail: number;
  queueCount: number;
  ns: { success: number; queue: number; input: number; infer: number; output: number };
}

type Stat = { count: number | string; ns: number | string };
type BatchStat = { batch_size: number | string; compute_input: Stat; compute_infer: Stat; compute_output: Stat };

function figures(s: any): Figures {
  const st = s.inference_stats as Record<string, Stat>;
  const batches = (s.batch_stats as BatchStat[]).map((b): [number, number] => {
    // Each execution is recorded once in all three compute phases of its batch size.
    assert.equal(Number(b.compute_input.count), Number(b.compute_infer.count));
    assert.equal(Number(b.compute_output.count), Number(b.compute_infer.count));
    return [Number(b.batch_size), Number(b.compute_infer.count)];
  });
  return {
    inference: Number(s.inference_count),
    execution: Number(s.execution_count),
    batches,
    success: Number(st.success!.count),
    fail: Number(st.fail!.count),
    queueCount: Number(st.queue!.count),
    ns: {
      success: Number(st.success!.ns), queue: Number(st.queue!.ns), input: Number(st.compute_input!.ns),
      infer: Number(st.compute_infer!.ns), output: Number(st.compute_output!.ns),
    },
  };
}

function checkBatched(f: Figures, requests: number): void {
  assert.equal(f.success, requests);
  assert.equal(f.fail, 0);
  assert.equal(f.queueCount, requests);
  assert.equal(f.inference, requests, 'one row per request');
  assert.ok(f.batches.some(([size]) => size > 1), `a batch of more than one request formed: ${JSON.stringify(f.batches)}`);
  assert.ok(f.execution < f.inference, `${f.execution} executions for ${f.inference} inferences`);
  assert.equal(f.batches.reduce((n, [, count]) => n + count, 0), f.execution, 'every execution in batch_stats');
  assert.equal(f.batches.reduce((n, [size, count]) => n + size * count, 0), f.inference, 'batch sizes add up');
  for (const [name, ns] of Object.entries(f.ns)) assert.ok(ns > 0, `${name} ns = ${ns}`);
}

/** The pool records an execution just after its responses went out. */
const settle = () => new Promise((r) => setImmediate(r));

test('16 concurrent HTTP requests: /stats shows the batches they formed', async () => {
  const results = await Promise.all(Array.from({ length: REQUESTS }, (_, i) =>
    inferJson(httpPort, 'ident', { id: `h${i}`, inputs: [{ name: 'INPUT0', shape: [1, 3], datatype: 'FP32', data: row(i) }] })));
  results.forEach((r, i) => {
    assert.equal(r.status, 200, r.text);
    const json = JSON.parse(r.text);
    assert.equal(json.id, `h${i}`);
    assert.deepEqual(json.outputs[0].data, row(i));
  });
  await settle();
  const stats = await request(httpPort, 'GET', '/v2/models/ident/stats');
  assert.equal(stats.status, 200);
  const f = figures(JSON.parse(stats.text).model_stats[0]);
  checkBatched(f, REQUESTS);
});

test('16 more over gRPC: ModelStatistics shows the batches of both rounds, as HTTP does', async () => {
  const replies = await Promise.all(Array.from({ length: REQUESTS }, (_, i) => grpc.call<pb.ModelInferResponse>('ModelInfer', {
    model_name: 'ident', id: `g${i}`, inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 3] }],
    raw_input_contents: [Buffer.from(new Float32Array(row(i)).buffer)],
  })));
  replies.forEach((r, i) => {
    assert.equal(r.id, `g${i}`);
    const b = r.raw_output_contents[0]!;
    assert.deepEqual([...new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))], row(i));
  });
  await settle();
  const res = await grpc.call('ModelStatistics', { name: 'ident' });
  assert.equal(res.model_stats.length, 1);
  const f = figures(res.model_stats[0]);
  checkBatched(f, 2 * REQUESTS);
  // The same counters as the HTTP rendering (nothing ran in between).
  const http = await request(httpPort, 'GET', '/v2/models/ident/stats');
  assert.deepEqual(figures(JSON.parse(http.text).model_stats[0]), f);
});
