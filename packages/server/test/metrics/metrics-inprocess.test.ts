/**
 * Metrics through the in-process API (`createInferenceServer().metrics.text()`): known traffic with
 * failures of every reason, then exact counter values and label sets (metric_tags, reason), the
 * pending gauge, cache families, the first-response histogram and the summaries.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createInferenceServer, Logger, ServerError, type InferenceServer } from '../../src/index.js';
import type { MetricsRegistry } from '../../src/observability/metrics.js';
import { identityConfig, makeRepo } from '../support/temp-repo.js';
import { fp32Request, gateBackendDir, installGate, parseProm, sample, waitFor, type Gate } from './support.js';

const GATE_CONFIG = [
  'backend: "metrics_gate"',
  'max_batch_size: 8',
  'input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ -1 ] } ]',
  'output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ -1 ] } ]',
  'dynamic_batching { default_queue_policy { max_queue_size: 1 } }',
  'metric_tags { key: "team" value: "vision" }',
].join('\n');

const files = {
  'gate/config.pbtxt': GATE_CONFIG,
  'gate/1/': null,
  'cached/config.pbtxt': identityConfig('response_cache { enable: true }'),
  'cached/1/': null,
  'seq/config.pbtxt': identityConfig('sequence_batching { }'),
  'seq/1/': null,
  // One step through gate: a failure inside gate's backend fails the ensemble.
  'ens/config.pbtxt': [
    'platform: "ensemble"',
    'max_batch_size: 8',
    'input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ -1 ] } ]',
    'output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ -1 ] } ]',
    'ensemble_scheduling { step [ { model_name: "gate" model_version: -1',
    '  input_map { key: "INPUT0" value: "INPUT0" } output_map { key: "OUTPUT0" value: "OUTPUT0" } } ] }',
  ].join('\n'),
  'ens/1/': null,
  // Its own first-response buckets (model_metrics.metric_control).
  'tuned/config.pbtxt': identityConfig([
    'model_metrics { metric_control [ { metric_identifier { family: "nv_inference_first_response_histogram_ms" }',
    '  histogram_options { buckets: [ 10000, 1 ] } } ] }',
  ].join('\n')),
  'tuned/1/': null,
};

let server: InferenceServer;
let metrics: MetricsRegistry;
let gate: Gate;
const cleanups: (() => void)[] = [];

before(async () => {
  gate = installGate();
  const repo = makeRepo(files);
  const backends = gateBackendDir();
  cleanups.push(repo.cleanup, backends.cleanup);
  const created = await createInferenceServer({
    modelRepository: repo.dir,
    backendDirectory: backends.dir,
    cacheConfig: ['local,size=1048576'],
    logger: new Logger({ info: false, warning: false }),
    metrics: { config: ['histogram_latencies=true', 'summary_latencies=true', 'summary_quantiles=0.5:0.05,0.9:0.01'] },
  });
  server = created.server;
  metrics = created.metrics!;
});

after(async () => {
  await server.shutdown();
  metrics.close();
  for (const c of cleanups) c();
});

const G = '_team="vision",model="gate",version="1"';
const gateLabels = `{${G}}`;
const reasonLabels = (reason: string) => `{_team="vision",model="gate",reason="${reason}",version="1"}`;

test('known traffic with every failure reason: exact counters, label sets and the pending gauge', async () => {
  // A executes and is held by the gate; B waits in the queue (max_queue_size 1); C is refused.
  const a = server.infer(fp32Request('gate', [1, 2]));
  await waitFor(() => gate.entered === 1, 'the first execution');
  const cancelB = new AbortController();
  const b = server.infer(fp32Request('gate', [3], { signal: cancelB.signal }));
  const bFailed = assert.rejects(b, (e: ServerError) => e.code === 'CANCELLED');
  assert.equal(sample(await metrics.text(), 'nv_inference_pending_request_count', gateLabels), 1);
  await assert.rejects(server.infer(fp32Request('gate', [4])), (e: ServerError) => e.code === 'UNAVAILABLE' && /queue size/.test(e.message));
  cancelB.abort();
  await bFailed;
  gate.open();
  await a;
  // A failure inside the backend, and one refused by the sequence batcher before any execution.
  await assert.rejects(server.infer(fp32Request('gate', [-1])), /negative input/);
  await assert.rejects(server.infer(fp32Request('seq', [1])), (e: ServerError) => e.code === 'INVALID_ARG');

  const text = await metrics.text();
  assert.equal(sample(text, 'nv_inference_request_success', gateLabels), 1);
  assert.equal(sample(text, 'nv_inference_request_failure', reasonLabels('REJECTED')), 1);
  assert.equal(sample(text, 'nv_inference_request_failure', reasonLabels('CANCELED')), 1);
  assert.equal(sample(text, 'nv_inference_request_failure', reasonLabels('BACKEND')), 1);
  assert.equal(sample(text, 'nv_inference_request_failure', reasonLabels('OTHER')), 0);
  assert.equal(sample(text, 'nv_inference_request_failure', '{model="seq",reason="OTHER",version="1"}'), 1);
  assert.equal(sample(text, 'nv_inference_request_failure', '{model="seq",reason="BACKEND",version="1"}'), 0);
  assert.equal(sample(text, 'nv_inference_count', gateLabels), 1);
  assert.equal(sample(text, 'nv_inference_pending_request_count', gateLabels), 0);
  // Counters agree with the statistics extension.
  const stats = server.modelStatistics('gate').model_stats[0] as { execution_count: number; inference_stats: { fail: { count: number }; success: { ns: number } } };
  assert.equal(stats.inference_stats.fail.count, 3);
  assert.equal(sample(text, 'nv_inference_exec_count', gateLabels), stats.execution_count);
  assert.equal(sample(text, 'nv_inference_request_duration_us', gateLabels), Math.floor(stats.inference_stats.success.ns / 1000));
  assert.ok(sample(text, 'nv_model_load_duration_secs', gateLabels)! > 0);

  // Every series of the gate model carries exactly its labels, sorted (_tag, model, [reason,] version).
  const parsed = parseProm(text);
  for (const s of parsed.samples.filter((x) => x.labels.includes('model="gate"'))) {
    assert.match(s.labels, /^\{_team="vision",model="gate",(reason="[A-Z]+",)?version="1"(,(le|quantile)="[^"]+")?\}$/, `${s.name}${s.labels}`);
  }
  assert.equal(parsed.types.get('nv_inference_request_failure'), 'counter');
  assert.equal(parsed.types.get('nv_inference_pending_request_count'), 'gauge');
  assert.equal(parsed.help.get('nv_inference_request_success'), 'Number of successful inference requests, all batch sizes');
  // The cache is off for gate: no cache series for it.
  assert.equal(parsed.samples.some((s) => s.name.startsWith('nv_cache_') && s.labels.includes('model="gate"')), false);
});

test('response cache families, first-response histogram and summaries', async () => {
  const values = [7, 8, 9];
  await server.infer(fp32Request('cached', values));
  await server.infer(fp32Request('cached', values));
  const text = await metrics.text();
  const c = '{model="cached",version="1"}';
  assert.equal(sample(text, 'nv_inference_request_success', c), 2);
  assert.equal(sample(text, 'nv_inference_count', c), 1);
  assert.equal(sample(text, 'nv_inference_exec_count', c), 1);
  assert.equal(sample(text, 'nv_cache_num_hits_per_model', c), 1);
  assert.equal(sample(text, 'nv_cache_num_misses_per_model', c), 1);
  assert.notEqual(sample(text, 'nv_cache_hit_duration_per_model', c), undefined);
  assert.notEqual(sample(text, 'nv_cache_miss_duration_per_model', c), undefined);

  const { types, samples } = parseProm(text);
  assert.equal(types.get('nv_inference_first_response_histogram_ms'), 'histogram');
  const buckets = samples.filter((s) => s.name === 'nv_inference_first_response_histogram_ms_bucket' && s.labels.includes('model="cached"'));
  assert.deepEqual(buckets.map((s) => s.labels), ['100', '500', '2000', '5000', '+Inf'].map((le) => `{model="cached",version="1",le="${le}"}`));
  assert.equal(sample(text, 'nv_inference_first_response_histogram_ms_count', c), 2);

  assert.equal(types.get('nv_inference_request_summary_us'), 'summary');
  assert.equal(sample(text, 'nv_inference_request_summary_us_count', c), 2);
  // Compute summaries exclude the cache hit.
  assert.equal(sample(text, 'nv_inference_compute_infer_summary_us_count', c), 1);
  assert.equal(sample(text, 'nv_cache_hit_summary_per_model_count', c), 1);
  assert.equal(sample(text, 'nv_cache_miss_summary_per_model_count', c), 1);
  const quantiles = samples.filter((s) => s.name === 'nv_inference_request_summary_us' && s.labels.includes('model="cached"'));
  assert.deepEqual(quantiles.map((s) => s.labels), ['0.5', '0.9'].map((q) => `{model="cached",version="1",quantile="${q}"}`));

  // Server-wide gauges.
  assert.equal(sample(text, 'nv_pinned_memory_pool_total_bytes'), 268435456);
  assert.equal(sample(text, 'nv_pinned_memory_pool_used_bytes'), 0);
  const util = sample(text, 'nv_cpu_utilization');
  assert.ok(util !== undefined && util >= 0 && util <= 1);
  if (process.platform === 'linux') {
    assert.ok(sample(text, 'nv_cpu_memory_total_bytes')! > 0);
    assert.ok(sample(text, 'nv_cpu_memory_used_bytes')! > 0);
  }
  // No GPU here: no GPU families.
  assert.equal(samples.some((s) => s.name.startsWith('nv_gpu_') || s.name === 'nv_energy_consumption'), false);
});

test('counter_latencies=false drops the duration counters; default config has no histogram or summaries', async () => {
  const repo = makeRepo({ 'm/config.pbtxt': identityConfig(), 'm/1/': null });
  cleanups.push(repo.cleanup);
  for (const [config, durations] of [[[], true], [['counter_latencies=false'], false]] as const) {
    const created = await createInferenceServer({
      modelRepository: repo.dir, logger: new Logger({ info: false }), metrics: { config, cpuMetrics: false },
    });
    try {
      await created.server.infer(fp32Request('m', [1]));
      const text = await created.metrics!.text();
      const { types } = parseProm(text);
      assert.equal(sample(text, 'nv_inference_request_success', '{model="m",version="1"}'), 1);
      assert.equal(types.has('nv_inference_request_duration_us'), durations);
      assert.equal(types.has('nv_inference_compute_infer_duration_us'), durations);
      assert.equal(types.has('nv_inference_first_response_histogram_ms'), false);
      assert.equal(types.has('nv_inference_request_summary_us'), false);
      assert.equal(types.has('nv_cpu_utilization'), false);
    } finally {
      await created.server.shutdown();
      created.metrics!.close();
    }
  }
  const none = await createInferenceServer({ modelRepository: repo.dir, logger: new Logger({ info: false }), metrics: false });
  assert.equal(none.metrics, undefined);
  await none.server.shutdown();
});

test('an ensemble counts its failures as OTHER; its member keeps the real reason', async () => {
  const before = await metrics.text();
  const backendBefore = sample(before, 'nv_inference_request_failure', reasonLabels('BACKEND'))!;
  await server.infer(fp32Request('ens', [5]));
  await assert.rejects(server.infer(fp32Request('ens', [-1])), /negative input/);
  const text = await metrics.text();
  const e = (reason: string) => `{model="ens",reason="${reason}",version="1"}`;
  assert.equal(sample(text, 'nv_inference_request_success', '{model="ens",version="1"}'), 1);
  assert.equal(sample(text, 'nv_inference_request_failure', e('OTHER')), 1);
  assert.equal(sample(text, 'nv_inference_request_failure', e('BACKEND')), 0);
  assert.equal(sample(text, 'nv_inference_request_failure', e('REJECTED')), 0);
  assert.equal(sample(text, 'nv_inference_request_failure', reasonLabels('BACKEND')), backendBefore + 1);
});

test('model_metrics.metric_control overrides the first-response buckets of its model; ensembles have the histogram too', async () => {
  await server.infer(fp32Request('tuned', [1]));
  const { samples } = parseProm(await metrics.text());
  const buckets = (model: string) => samples
    .filter((s) => s.name === 'nv_inference_first_response_histogram_ms_bucket' && s.labels.includes(`model="${model}"`))
    .map((s) => [/le="([^"]+)"/.exec(s.labels)![1], s.value]);
  assert.deepEqual(buckets('tuned'), [['1', buckets('tuned')[0]![1]], ['10000', 1], ['+Inf', 1]]);
  assert.deepEqual(buckets('ens').map(([le]) => le), ['100', '500', '2000', '5000', '+Inf']);
  assert.equal(samples.find((s) => s.name === 'nv_inference_first_response_histogram_ms_count' && s.labels === '{model="ens",version="1"}')?.value, 1);
});
