/**
 * `--metrics-config <key>=<value>` (repeatable), tritonserver's keys (spec §8, §9):
 * `counter_latencies` (true), `histogram_latencies` (false), `summary_latencies` (false),
 * `summary_quantiles=<q>:<err>,…` (0.5:0.05,0.9:0.01,0.95:0.001,0.99:0.001,0.999:0.001).
 * inferd adds `summary_max_age_secs` (60) and `summary_age_buckets` (5) — the sliding window of the
 * summaries, prometheus-cpp's defaults in Triton — and `histogram_buckets=<ms>,…` (100,500,2000,5000),
 * the default buckets of `nv_inference_first_response_histogram_ms` (a model's
 * `model_metrics.metric_control` still overrides them).
 */
import { ServerError } from '../core/index.js';

export interface SummaryQuantile {
  readonly quantile: number;
  /** Triton's allowed error; prom-client's t-digest has no per-quantile error, so it is kept for display only. */
  readonly error: number;
}

export interface MetricsConfig {
  readonly counterLatencies: boolean;
  readonly histogramLatencies: boolean;
  readonly summaryLatencies: boolean;
  readonly summaryQuantiles: readonly SummaryQuantile[];
  readonly summaryMaxAgeSecs: number;
  readonly summaryAgeBuckets: number;
  /** Default buckets (ms) of the first-response histogram. */
  readonly histogramBuckets: readonly number[];
}

export const DEFAULT_METRICS_CONFIG: MetricsConfig = {
  counterLatencies: true,
  histogramLatencies: false,
  summaryLatencies: false,
  summaryQuantiles: [
    { quantile: 0.5, error: 0.05 }, { quantile: 0.9, error: 0.01 }, { quantile: 0.95, error: 0.001 },
    { quantile: 0.99, error: 0.001 }, { quantile: 0.999, error: 0.001 },
  ],
  summaryMaxAgeSecs: 60,
  summaryAgeBuckets: 5,
  histogramBuckets: [100, 500, 2000, 5000],
};

const bad = (entry: string, why: string): ServerError => ServerError.invalidArg(`invalid --metrics-config '${entry}': ${why}`);

function bool(entry: string, v: string): boolean {
  switch (v.toLowerCase()) {
    case 'true': case 'on': case '1': return true;
    case 'false': case 'off': case '0': return false;
    default: throw bad(entry, 'expected true or false');
  }
}

function positive(entry: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw bad(entry, 'expected a positive number');
  return n;
}

function quantiles(entry: string, v: string): SummaryQuantile[] {
  return v.split(',').filter((s) => s.trim() !== '').map((pair) => {
    const [q, e, extra] = pair.split(':');
    const quantile = Number(q);
    const error = Number(e);
    if (extra !== undefined || !(quantile >= 0 && quantile <= 1) || !(error >= 0 && error <= 1) || e === undefined) {
      throw bad(entry, `expected <quantile>:<error> pairs in [0, 1], got '${pair}'`);
    }
    return { quantile, error };
  });
}

function buckets(entry: string, v: string): number[] {
  const out = v.split(',').filter((s) => s.trim() !== '').map((s) => Number(s));
  if (out.length === 0 || out.some((n) => !Number.isFinite(n))) throw bad(entry, 'expected comma-separated numbers');
  return [...out].sort((a, b) => a - b);
}

/** Parses the flag's entries over the defaults; throws INVALID_ARG with the offending entry. */
export function parseMetricsConfig(entries: readonly string[]): MetricsConfig {
  const c: { -readonly [K in keyof MetricsConfig]: MetricsConfig[K] } = { ...DEFAULT_METRICS_CONFIG };
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw bad(entry, 'expected <key>=<value>');
    const key = entry.slice(0, eq).trim();
    const value = entry.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    switch (key) {
      case 'counter_latencies': c.counterLatencies = bool(entry, value); break;
      case 'histogram_latencies': c.histogramLatencies = bool(entry, value); break;
      case 'summary_latencies': c.summaryLatencies = bool(entry, value); break;
      case 'summary_quantiles': c.summaryQuantiles = quantiles(entry, value); break;
      case 'summary_max_age_secs': c.summaryMaxAgeSecs = positive(entry, value); break;
      case 'summary_age_buckets': c.summaryAgeBuckets = Math.max(1, Math.round(positive(entry, value))); break;
      case 'histogram_buckets': c.histogramBuckets = buckets(entry, value); break;
      default: throw bad(entry, `unknown key '${key}'`);
    }
  }
  return c;
}
