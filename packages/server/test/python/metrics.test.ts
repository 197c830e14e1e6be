/**
 * pb_utils.MetricFamily on /metrics (spec §9, §10): a model.py that keeps a counter, a gauge and a
 * histogram with labels; after N requests the scrape shows exact values with the family's HELP and TYPE
 * and the label sets; Triton's argument checks raise in the model; two instances share one series.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createInferenceServer, type InferenceServer } from '../../src/index.js';
import type { MetricsRegistry } from '../../src/observability/metrics.js';
import { Logger } from '../../src/observability/log.js';
import { startServe } from '../support/spawn-cli.js';
import { makeRepo } from '../support/temp-repo.js';

/** IN [1] FP32 -> OUT: the value() the counter reports after counting this request. */
const METRICS_MODEL = `
import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def initialize(self, args):
        self.requests = pb_utils.MetricFamily(
            name="requests_seen", description="Requests seen by the model", kind=pb_utils.MetricFamily.COUNTER)
        self.last = pb_utils.MetricFamily(
            name="last_input", description="Last input value", kind=pb_utils.MetricFamily.GAUGE)
        self.sizes = pb_utils.MetricFamily(
            name="input_values", description="Input values", kind=pb_utils.MetricFamily.HISTOGRAM)
        labels = {"model": args["model_name"], "version": args["model_version"]}
        self.count = self.requests.Metric(labels=labels)
        self.big = self.requests.Metric(labels=dict(labels, size="big"))
        self.gauge = self.last.Metric(labels=labels)
        self.hist = self.sizes.Metric(labels=labels, buckets=[1.0, 10.0])

    def execute(self, requests):
        responses = []
        for r in requests:
            x = float(pb_utils.get_input_tensor_by_name(r, "IN").as_numpy()[0])
            self.count.increment(1)
            if x >= 10:
                self.big.increment(2.5)
            self.gauge.set(x)
            self.hist.observe(x)
            responses.append(pb_utils.InferenceResponse(
                [pb_utils.Tensor("OUT", np.array([self.count.value()], np.float32))]))
        return responses
`;

const CONFIG = (name: string, instances = 1): string => `name: "${name}"\nbackend: "python"\nmax_batch_size: 0\n`
  + 'input [ { name: "IN" data_type: TYPE_FP32 dims: [ 1 ] } ]\noutput [ { name: "OUT" data_type: TYPE_FP32 dims: [ 1 ] } ]\n'
  + `instance_group [ { kind: KIND_CPU count: ${instances} } ]`;

/** Runs `model.py` checks in initialize and reports each outcome as a gauge label (what raised, with which text). */
const CHECKS_MODEL = `
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def initialize(self, args):
        self.keep = []
        outcomes = pb_utils.MetricFamily("check_outcome", "1 = raised", pb_utils.MetricFamily.GAUGE)
        self.keep.append(outcomes)

        def check(name, fn):
            try:
                self.keep.append(fn())
                raised, text = 0, ""
            except pb_utils.TritonModelException as e:
                raised, text = 1, str(e)
            m = outcomes.Metric(labels={"check": name, "text": text})
            m.set(raised)
            self.keep.append(m)

        C, G, H = pb_utils.MetricFamily.COUNTER, pb_utils.MetricFamily.GAUGE, pb_utils.MetricFamily.HISTOGRAM
        self.keep.append(pb_utils.MetricFamily("shared_family", "first help", C))
        check("same_name_other_kind", lambda: pb_utils.MetricFamily("shared_family", "x", G))
        check("same_name_same_kind", lambda: pb_utils.MetricFamily("shared_family", "other help", C).Metric())
        check("builtin_name", lambda: pb_utils.MetricFamily("nv_inference_count", "x", C))
        check("histogram_without_buckets", lambda: pb_utils.MetricFamily("h1", "x", H).Metric())
        check("counter_with_buckets", lambda: pb_utils.MetricFamily("c1", "x", C).Metric(buckets=[1.0]))
        check("labels_not_dict", lambda: pb_utils.MetricFamily("c2", "x", C).Metric(labels=[("a", "b")]))
        check("unsorted_buckets", lambda: pb_utils.MetricFamily("h2", "x", H).Metric(buckets=[2.0, 1.0]))
        counter = pb_utils.MetricFamily("c3", "x", C).Metric()
        self.keep.append(counter)
        check("counter_decrement", lambda: counter.increment(-1))
        check("counter_set", lambda: counter.set(3))
        check("histogram_value", lambda: pb_utils.MetricFamily("h3", "x", H).Metric(buckets=[1.0]).value())
        # Dropped at once: its series (and family) leave /metrics.
        pb_utils.MetricFamily("dropped_family", "x", C).Metric().increment(1)

    def execute(self, requests):
        return [pb_utils.InferenceResponse([]) for _ in requests]
`;

interface Scraped {
  readonly text: string;
  /** `name{labels}` -> value, labels as rendered. */
  readonly samples: Map<string, number>;
}

function parse(text: string): Scraped {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    samples.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return { text, samples };
}

const input = (x: number) => [{ name: 'IN', datatype: 'FP32' as const, shape: [1], data: new Uint8Array(new Float32Array([x]).buffer) }];

let server: InferenceServer;
let metrics: MetricsRegistry;
let cleanup: () => void;
const logs: string[] = [];

before(async () => {
  const repo = makeRepo({
    'counted/config.pbtxt': CONFIG('counted'), 'counted/1/model.py': METRICS_MODEL,
    'twice/config.pbtxt': CONFIG('twice', 2), 'twice/1/model.py': METRICS_MODEL,
    'checks/config.pbtxt': CONFIG('checks'), 'checks/1/model.py': CHECKS_MODEL,
  });
  cleanup = repo.cleanup;
  const logger = new Logger({ info: true });
  logger.write = (line) => logs.push(line);
  const created = await createInferenceServer({ modelRepository: repo.dir, logger, metrics: { cpuMetrics: false } });
  server = created.server;
  metrics = created.metrics!;
});

after(async () => {
  await server?.shutdown(5000);
  metrics?.close();
  cleanup?.();
});

test('counter, gauge and histogram of a model.py show on /metrics with HELP, TYPE, labels and exact values', async () => {
  const values = [3, 12, 0.5, 20, 7];
  for (const [i, x] of values.entries()) {
    const r = await server.infer({ modelName: 'counted', inputs: input(x) });
    assert.equal(r.error, undefined);
    // value() reads the server's value: this request is already counted.
    assert.deepEqual([...new Float32Array(r.outputs[0]!.data.slice().buffer)], [i + 1]);
  }
  const { text, samples } = parse(await metrics.text());
  assert.match(text, /# HELP requests_seen Requests seen by the model\n# TYPE requests_seen counter\n/);
  assert.match(text, /# HELP last_input Last input value\n# TYPE last_input gauge\n/);
  assert.match(text, /# HELP input_values Input values\n# TYPE input_values histogram\n/);
  assert.equal(samples.get('requests_seen{model="counted",version="1"}'), 5);
  assert.equal(samples.get('requests_seen{model="counted",size="big",version="1"}'), 5);
  assert.equal(samples.get('last_input{model="counted",version="1"}'), 7);
  assert.equal(samples.get('input_values_bucket{le="1",model="counted",version="1"}'), 1);
  assert.equal(samples.get('input_values_bucket{le="10",model="counted",version="1"}'), 3);
  assert.equal(samples.get('input_values_bucket{le="+Inf",model="counted",version="1"}'), 5);
  assert.equal(samples.get('input_values_sum{model="counted",version="1"}'), 42.5);
  assert.equal(samples.get('input_values_count{model="counted",version="1"}'), 5);
  // Each family once, even though several models created it.
  assert.equal(text.split('# TYPE requests_seen ').length, 2);
});

test('two instances of one model add up in one series (the series is shared, as in Triton)', async () => {
  await Promise.all([1, 2, 3, 4, 5, 6].map(async (x) => {
    const r = await server.infer({ modelName: 'twice', inputs: input(x) });
    assert.equal(r.error, undefined);
  }));
  const { samples } = parse(await metrics.text());
  assert.equal(samples.get('requests_seen{model="twice",version="1"}'), 6);
  assert.equal(samples.get('input_values_count{model="twice",version="1"}'), 6);
  assert.equal(samples.get('input_values_sum{model="twice",version="1"}'), 21);
});

test('Triton\'s checks raise TritonModelException in the model; a dropped family leaves /metrics', async () => {
  const { samples, text } = parse(await metrics.text());
  const outcome = (check: string): { raised: number; text: string } => {
    for (const [k, v] of samples) {
      const m = new RegExp(`^check_outcome\\{check="${check}",text="(.*)"\\}$`).exec(k);
      if (m !== null) return { raised: v, text: m[1]! };
    }
    throw new Error(`no outcome for ${check}:\n${text}`);
  };
  assert.equal(outcome('same_name_other_kind').raised, 1);
  assert.match(outcome('same_name_other_kind').text, /already exists with different type/);
  assert.equal(outcome('same_name_same_kind').raised, 0);
  assert.equal(outcome('builtin_name').raised, 1);
  assert.match(outcome('histogram_without_buckets').text, /Missing required buckets/);
  assert.match(outcome('counter_with_buckets').text, /Unexpected buckets found/);
  assert.match(outcome('labels_not_dict').text, /Labels must be a dictionary/);
  assert.match(outcome('unsorted_buckets').text, /strictly sorted/);
  assert.match(outcome('counter_decrement').text, /cannot be decremented/);
  assert.match(outcome('counter_set').text, /only supported for gauges/);
  assert.match(outcome('histogram_value').text, /not supported for histograms/);
  // A family of the same name and kind is the first one: its description stays.
  assert.match(text, /# HELP shared_family first help\n# TYPE shared_family counter\nshared_family 0\n/);
  assert.doesNotMatch(text, /dropped_family/);
  // The built-in family is untouched.
  assert.match(text, /# TYPE nv_inference_count counter\n/);
});

test('inferd serve: the families are on the metrics port', async (t) => {
  const repo = makeRepo({ 'counted/config.pbtxt': CONFIG('counted'), 'counted/1/model.py': METRICS_MODEL });
  t.after(() => repo.cleanup());
  const run = await startServe(['--model-repository', repo.dir, '--allow-cpu-metrics', 'false']);
  t.after(async () => {
    run.child.kill('SIGTERM');
    await run.exited;
  });
  for (const x of [4, 11, 30]) {
    const res = await fetch(`${run.url}/v2/models/counted/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'IN', datatype: 'FP32', shape: [1], data: [x] }] }),
    });
    assert.equal(res.status, 200, await res.text());
  }
  const res = await fetch(run.metricsUrl!);
  assert.equal(res.status, 200);
  const { text, samples } = parse(await res.text());
  assert.match(text, /# HELP requests_seen Requests seen by the model\n# TYPE requests_seen counter\n/);
  assert.equal(samples.get('requests_seen{model="counted",version="1"}'), 3);
  assert.equal(samples.get('requests_seen{model="counted",size="big",version="1"}'), 5);
  assert.equal(samples.get('last_input{model="counted",version="1"}'), 30);
  assert.equal(samples.get('input_values_bucket{le="10",model="counted",version="1"}'), 1);
  assert.equal(samples.get('input_values_count{model="counted",version="1"}'), 3);
});
