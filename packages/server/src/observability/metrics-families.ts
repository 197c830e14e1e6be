/**
 * The per-model `nv_*` families of spec §9 with Triton's names, types and help texts. Values are read
 * at scrape time from each READY version's `ModelStats` and scheduler, so counting costs the request
 * path nothing beyond the statistics it keeps anyway. Counters are cumulative (they only grow while a
 * version stays loaded); durations are reported in µs as Triton does (the stats keep ns).
 */
import { FAILURE_REASONS, type FailureReason, type ServedModel } from '../core/index.js';
import type { MetricsConfig } from './metrics-config.js';
import { ModelInstruments, SUMMARY_FAMILIES, FIRST_RESPONSE_HISTOGRAM, type SummaryKey } from './metrics-instruments.js';

export type Labels = Record<string, string>;

export interface Sample {
  readonly labels: Labels;
  readonly value: number;
  /** `_bucket`, `_sum`, `_count` lines of histograms and summaries. */
  readonly metricName?: string;
}

export interface ModelFamily {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram' | 'summary';
  samples(model: ServedModel, labels: Labels): Sample[];
}

/** Model labels in Triton's (sorted) order: `_<tag>` for each config `metric_tags` entry, `model`, `version`. */
export function modelLabels(model: ServedModel): Labels {
  const out: Labels = { model: model.spec.name, version: String(model.spec.version) };
  const tags = model.spec.configJson['metric_tags'];
  if (tags !== null && typeof tags === 'object') {
    for (const [k, v] of Object.entries(tags as Record<string, unknown>)) out[`_${k}`] = String(v);
  }
  return sortLabels(out);
}

export function sortLabels(labels: Labels): Labels {
  return Object.fromEntries(Object.entries(labels).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}

const us = (ns: number): number => Math.floor(ns / 1000);

/**
 * Failures per reason. An ensemble's failures count as OTHER (spec §9): its "execution" is its members'
 * work, whose own series carry the real reason; a cancellation stays CANCELED.
 */
function failureCounts(m: ServedModel): Record<FailureReason, number> {
  const f = m.stats.failures;
  if (m.spec.platform !== 'ensemble') return f;
  return { REJECTED: 0, CANCELED: f.CANCELED, BACKEND: 0, OTHER: f.OTHER + f.REJECTED + f.BACKEND };
}

const one = (value: number) => (_m: ServedModel, labels: Labels): Sample[] => [{ labels, value }];

function counter(name: string, help: string, read: (m: ServedModel) => number): ModelFamily {
  return { name, help, type: 'counter', samples: (m, labels) => one(read(m))(m, labels) };
}

/** prom-client samples of a model's own instrument, with the model labels put first. */
async function instrumentSamples(metric: { get(): Promise<{ values: { labels: object; value: number; metricName?: string }[] }> },
  labels: Labels): Promise<Sample[]> {
  const data = await metric.get();
  return data.values.map((v) => ({
    labels: { ...labels, ...(v.labels as Labels) },
    value: v.value,
    ...(v.metricName === undefined ? {} : { metricName: v.metricName }),
  }));
}

export interface AsyncModelFamily {
  readonly name: string;
  readonly help: string;
  readonly type: 'histogram' | 'summary';
  samples(model: ServedModel, labels: Labels): Promise<Sample[]>;
}

const instruments = (m: ServedModel): ModelInstruments | undefined =>
  m.stats.observer instanceof ModelInstruments ? m.stats.observer : undefined;

/** The counter and gauge families, in Triton's order. `cached(m)`: the model uses the response cache. */
export function modelFamilies(config: MetricsConfig, cached: (m: ServedModel) => boolean): ModelFamily[] {
  const families: ModelFamily[] = [
    counter('nv_inference_request_success', 'Number of successful inference requests, all batch sizes', (m) => m.stats.success.count),
    {
      name: 'nv_inference_request_failure',
      help: 'Number of failed inference requests, all batch sizes',
      type: 'counter',
      // All four reasons exist from the start, at 0 (spec §9).
      samples: (m, labels) => {
        const counts = failureCounts(m);
        return FAILURE_REASONS.map((reason) => ({ labels: sortLabels({ ...labels, reason }), value: counts[reason] }));
      },
    },
    counter('nv_inference_count', 'Number of inferences performed (does not include cached requests)', (m) => m.stats.inferenceCount),
    counter('nv_inference_exec_count', 'Number of model executions performed (does not include cached requests)', (m) => m.stats.executionCount),
    {
      name: 'nv_inference_pending_request_count',
      help: 'Instantaneous number of pending requests awaiting execution per-model.',
      type: 'gauge',
      samples: (m, labels) => [{ labels, value: m.scheduler.pendingCount ?? 0 }],
    },
    {
      name: 'nv_model_load_duration_secs',
      help: 'Model load time in seconds',
      type: 'gauge',
      samples: (m, labels) => [{ labels, value: m.stats.loadDurationSecs }],
    },
  ];
  if (config.counterLatencies) {
    families.push(
      counter('nv_inference_request_duration_us', 'Cumulative inference request duration in microseconds (includes cached requests)', (m) => us(m.stats.success.ns)),
      counter('nv_inference_queue_duration_us', 'Cumulative inference queuing duration in microseconds (includes cached requests)', (m) => us(m.stats.queue.ns)),
      counter('nv_inference_compute_input_duration_us', 'Cumulative compute input duration in microseconds (does not include cached requests)', (m) => us(m.stats.computeInput.ns)),
      counter('nv_inference_compute_infer_duration_us', 'Cumulative compute inference duration in microseconds (does not include cached requests)', (m) => us(m.stats.computeInfer.ns)),
      counter('nv_inference_compute_output_duration_us', 'Cumulative inference compute output duration in microseconds (does not include cached requests)', (m) => us(m.stats.computeOutput.ns)),
    );
  }
  // Cache families only for models whose responses are cached (spec §9); the durations go with the
  // other latency counters.
  const cacheFamily = (name: string, help: string, read: (m: ServedModel) => number): ModelFamily => ({
    name, help, type: 'counter', samples: (m, labels) => (cached(m) ? [{ labels, value: read(m) }] : []),
  });
  families.push(
    cacheFamily('nv_cache_num_hits_per_model', 'Number of cache hits per model', (m) => m.stats.cacheHit.count),
    cacheFamily('nv_cache_num_misses_per_model', 'Number of cache misses per model', (m) => m.stats.cacheMiss.count),
  );
  if (config.counterLatencies) {
    families.push(
      cacheFamily('nv_cache_hit_duration_per_model', 'Total cache hit duration per model, in microseconds', (m) => us(m.stats.cacheHit.ns)),
      cacheFamily('nv_cache_miss_duration_per_model', 'Total cache miss (insert+lookup) duration per model, in microseconds', (m) => us(m.stats.cacheMiss.ns)),
    );
  }
  return families;
}

const SUMMARY_HELP: Record<SummaryKey, string> = {
  request: 'Summary of inference request duration in microseconds (includes cached requests)',
  queue: 'Summary of inference queuing duration in microseconds (includes cached requests)',
  computeInput: 'Summary of compute input duration in microseconds (does not include cached requests)',
  computeInfer: 'Summary of compute inference duration in microseconds (does not include cached requests)',
  computeOutput: 'Summary of inference compute output duration in microseconds (does not include cached requests)',
  cacheHit: 'Summary of cache hit duration per model, in microseconds',
  cacheMiss: 'Summary of cache miss duration per model, in microseconds',
};

/** Histogram and summary families (only those `--metrics-config` turns on), read from each model's instruments. */
export function instrumentFamilies(config: MetricsConfig): AsyncModelFamily[] {
  const out: AsyncModelFamily[] = [];
  if (config.histogramLatencies) {
    out.push({
      name: FIRST_RESPONSE_HISTOGRAM,
      help: 'Duration from request to first response in milliseconds',
      type: 'histogram',
      samples: async (m, labels) => {
        const h = instruments(m)?.histogram;
        return h === undefined ? [] : instrumentSamples(h, labels);
      },
    });
  }
  if (config.summaryLatencies) {
    for (const key of Object.keys(SUMMARY_FAMILIES) as SummaryKey[]) {
      out.push({
        name: SUMMARY_FAMILIES[key],
        help: SUMMARY_HELP[key],
        type: 'summary',
        samples: async (m, labels) => {
          const s = instruments(m)?.summaries[key];
          return s === undefined ? [] : instrumentSamples(s, labels);
        },
      });
    }
  }
  return out;
}
