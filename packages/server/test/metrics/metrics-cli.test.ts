/**
 * `inferd serve` end to end: the metrics listener (`--metrics-port 0`), a scrape after known traffic
 * over HTTP with exact counters, 405/404, `--allow-metrics=false`; and the statistics extension after
 * the same traffic over HTTP JSON and gRPC, including response_stats of the decoupled repeat_int32.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, startServe, type CliRun } from '../support/spawn-cli.js';
import { connect } from '../support/grpc-client.js';
import { parseProm, sample } from './support.js';

let repo: string;
let run: CliRun & { url: string; grpcPort: number; metricsUrl?: string };

before(async () => {
  repo = mkdtempSync(join(tmpdir(), 'inferd-metrics-cli-'));
  for (const m of ['simple', 'repeat_int32']) cpSync(join(repoRoot, 'examples/models', m), join(repo, m), { recursive: true });
  run = await startServe(['--model-repository', repo, '--metrics-config', 'histogram_latencies=true', '--metrics-interval-ms', '100']);
});

after(async () => {
  run.child.kill('SIGTERM');
  await run.exited;
  rmSync(repo, { recursive: true, force: true });
});

const N = 3;
const M = 2;

async function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${run.url}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
}

const simpleBody = {
  inputs: [
    { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: Array.from({ length: 16 }, (_, i) => i) },
    { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: Array.from({ length: 16 }, () => 1) },
  ],
};

test('scrape after known traffic: exact counters and label sets', async () => {
  assert.ok(run.metricsUrl !== undefined, run.stderr());
  assert.match(run.stderr(), /Started Metrics Service at 127\.0\.0\.1:\d+/);
  for (let i = 0; i < N; i++) assert.equal((await post('/v2/models/simple/infer', simpleBody)).status, 200);
  // IN and DELAY of different shapes: the repeat backend fails these requests while executing.
  for (let i = 0; i < M; i++) {
    const r = await post('/v2/models/repeat_int32/generate', { IN: [1, 2], DELAY: [0] });
    assert.equal(r.status, 400, await r.text());
  }
  // A decoupled request with 3 responses and a flag-only final one (for the statistics test below).
  const stream = await post('/v2/models/repeat_int32/generate_stream', { IN: [4, 5, 6], DELAY: [0, 0, 0] });
  assert.equal(stream.status, 200);
  assert.equal((await stream.text()).match(/^data: /gm)?.length, 3);

  const res = await fetch(run.metricsUrl!);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
  const text = await res.text();
  const simple = '{model="simple",version="1"}';
  const repeat = '{model="repeat_int32",version="1"}';
  assert.equal(sample(text, 'nv_inference_request_success', simple), N);
  assert.equal(sample(text, 'nv_inference_count', simple), N);
  assert.equal(sample(text, 'nv_inference_exec_count', simple), N);
  for (const reason of ['REJECTED', 'CANCELED', 'BACKEND', 'OTHER']) {
    assert.equal(sample(text, 'nv_inference_request_failure', `{model="simple",reason="${reason}",version="1"}`), 0);
    assert.equal(sample(text, 'nv_inference_request_failure', `{model="repeat_int32",reason="${reason}",version="1"}`), reason === 'BACKEND' ? M : 0);
  }
  assert.equal(sample(text, 'nv_inference_request_success', repeat), 1);
  assert.equal(sample(text, 'nv_inference_pending_request_count', simple), 0);
  assert.equal(sample(text, 'nv_inference_first_response_histogram_ms_count', simple), N);
  assert.equal(sample(text, 'nv_inference_first_response_histogram_ms_count', repeat), 1);

  // Exactly these label sets for the per-model families.
  const { samples, types } = parseProm(text);
  const labelSets = new Set(samples.filter((s) => s.name === 'nv_inference_request_failure').map((s) => s.labels));
  assert.equal(labelSets.size, 8);
  for (const name of ['nv_inference_request_success', 'nv_inference_count', 'nv_inference_exec_count', 'nv_inference_request_duration_us',
    'nv_inference_queue_duration_us', 'nv_inference_compute_input_duration_us', 'nv_inference_compute_infer_duration_us',
    'nv_inference_compute_output_duration_us', 'nv_inference_pending_request_count', 'nv_model_load_duration_secs']) {
    assert.deepEqual(samples.filter((s) => s.name === name).map((s) => s.labels), [repeat, simple], name);
    assert.equal(types.get(name), name === 'nv_inference_pending_request_count' || name === 'nv_model_load_duration_secs' ? 'gauge' : 'counter');
  }

  // Same text on /metrics/; GET only; other paths 404.
  const slash = await fetch(`${run.metricsUrl}/`);
  assert.equal(slash.status, 200);
  assert.equal(sample(await slash.text(), 'nv_inference_request_success', simple), N);
  assert.equal((await fetch(run.metricsUrl!, { method: 'POST', body: '' })).status, 405);
  assert.equal((await fetch(run.metricsUrl!, { method: 'PUT', body: '' })).status, 405);
  assert.equal((await fetch(run.metricsUrl!.replace(/\/metrics$/, '/other'))).status, 404);
});

interface Dur { count: number | string; ns: number | string }
type ResponseStats = Record<string, Record<'compute_infer' | 'compute_output' | 'success' | 'fail' | 'empty_response' | 'cancel', Dur>>;

/** Counts only, as numbers (gRPC gives uint64 as strings). */
function counts(r: ResponseStats): Record<string, Record<string, number>> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Object.fromEntries(Object.entries(v).map(([f, d]) => [f, Number(d.count)]))]));
}

const EXPECTED_RESPONSE_COUNTS = {
  // Index 0: the stream's first response, and the two failed requests' only (error) responses.
  0: { compute_infer: 3, compute_output: 3, success: 1, fail: 2, empty_response: 0, cancel: 0 },
  1: { compute_infer: 1, compute_output: 1, success: 1, fail: 0, empty_response: 0, cancel: 0 },
  2: { compute_infer: 1, compute_output: 1, success: 1, fail: 0, empty_response: 0, cancel: 0 },
  // The flag-only final response.
  3: { compute_infer: 1, compute_output: 0, success: 0, fail: 0, empty_response: 1, cancel: 0 },
};

test('statistics over HTTP and gRPC after the same traffic, response_stats of a decoupled model', async () => {
  const all = await (await fetch(`${run.url}/v2/models/stats`)).json() as { model_stats: Record<string, any>[] };
  assert.deepEqual(all.model_stats.map((m) => m.name), ['repeat_int32', 'simple']);
  const simple = all.model_stats[1]!;
  assert.equal(simple.inference_count, N);
  assert.equal(simple.execution_count, N);
  assert.equal(simple.inference_stats.success.count, N);
  assert.equal(simple.inference_stats.fail.count, 0);
  assert.equal(simple.inference_stats.queue.count, N);
  assert.equal(simple.inference_stats.compute_infer.count, N);
  assert.deepEqual(simple.response_stats, {});
  assert.deepEqual(simple.memory_usage, []);
  assert.deepEqual(simple.batch_stats.map((b: { batch_size: number; compute_infer: Dur }) => [b.batch_size, b.compute_infer.count]), [[1, N]]);

  const repeat = (await (await fetch(`${run.url}/v2/models/repeat_int32/versions/1/stats`)).json() as { model_stats: Record<string, any>[] }).model_stats[0]!;
  assert.equal(repeat.inference_stats.success.count, 1);
  assert.equal(repeat.inference_stats.fail.count, M);
  assert.deepEqual(Object.keys(repeat.response_stats), ['0', '1', '2', '3']);
  assert.deepEqual(counts(repeat.response_stats), EXPECTED_RESPONSE_COUNTS);
  const r1 = repeat.response_stats['1'];
  assert.equal(r1.success.ns, r1.compute_infer.ns + r1.compute_output.ns);

  const client = connect(run.grpcPort);
  try {
    const g = await client.call('ModelStatistics', { name: 'repeat_int32' });
    const s = g.model_stats[0];
    assert.equal(s.name, 'repeat_int32');
    assert.equal(Number(s.inference_stats.fail.count), M);
    assert.deepEqual(counts(s.response_stats), EXPECTED_RESPONSE_COUNTS);
    // Same values as over HTTP (nothing ran in between), uint64 as strings.
    assert.equal(s.response_stats['0'].compute_infer.ns, String(repeat.response_stats['0'].compute_infer.ns));
    assert.deepEqual(s.memory_usage, []);
    const gs = (await client.call('ModelStatistics', { name: 'simple', version: '1' })).model_stats[0];
    assert.equal(Number(gs.inference_stats.success.count), N);
    assert.equal(Number(gs.execution_count), N);
    const everything = await client.call('ModelStatistics', {});
    assert.deepEqual(everything.model_stats.map((m: { name: string }) => m.name), ['repeat_int32', 'simple']);
  } finally {
    client.close();
  }

  // Monotonic: one more request only adds.
  assert.equal((await post('/v2/models/simple/infer', simpleBody)).status, 200);
  const again = (await (await fetch(`${run.url}/v2/models/simple/stats`)).json() as { model_stats: Record<string, any>[] }).model_stats[0]!;
  assert.equal(again.inference_stats.success.count, N + 1);
  assert.ok(again.inference_stats.success.ns > simple.inference_stats.success.ns);
});

test('--allow-metrics=false: no metrics listener, statistics still served', async () => {
  const off = await startServe(['--model-repository', repo, '--allow-metrics=false']);
  try {
    assert.equal(off.metricsUrl, undefined);
    assert.doesNotMatch(off.stderr(), /Metrics Service/);
    const r = await fetch(`${off.url}/v2/models/simple/stats`);
    assert.equal(r.status, 200);
  } finally {
    off.child.kill('SIGTERM');
    await off.exited;
  }
});
