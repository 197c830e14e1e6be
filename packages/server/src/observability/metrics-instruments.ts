/**
 * Per model-version histogram and summaries (`--metrics-config histogram_latencies / summary_latencies`),
 * fed per request through `ModelStats.observer`. They are prom-client instruments outside any registry:
 * the registry's families read them at scrape time and add the model's labels (which differ per model
 * with `metric_tags`, so one labelled instrument per family would not do).
 */
import { Histogram, Summary } from 'prom-client';
import type { RequestLatency, StatsObserver } from '../core/index.js';
import type { ModelConfig } from '../config/types.js';
import type { MetricsConfig } from './metrics-config.js';

export const FIRST_RESPONSE_HISTOGRAM = 'nv_inference_first_response_histogram_ms';

/** Summaries by family name. */
export const SUMMARY_FAMILIES = {
  request: 'nv_inference_request_summary_us',
  queue: 'nv_inference_queue_summary_us',
  computeInput: 'nv_inference_compute_input_summary_us',
  computeInfer: 'nv_inference_compute_infer_summary_us',
  computeOutput: 'nv_inference_compute_output_summary_us',
  cacheHit: 'nv_cache_hit_summary_per_model',
  cacheMiss: 'nv_cache_miss_summary_per_model',
} as const;
export type SummaryKey = keyof typeof SUMMARY_FAMILIES;

/** The first-response buckets (ms): the model's `metric_control` for the histogram family, else the default. */
export function firstResponseBuckets(config: ModelConfig, defaults: readonly number[]): number[] {
  for (const control of config.model_metrics?.metric_control ?? []) {
    if (control.metric_identifier?.family === FIRST_RESPONSE_HISTOGRAM && control.histogram_options?.buckets !== undefined) {
      return [...control.histogram_options.buckets].sort((a, b) => a - b);
    }
  }
  return [...defaults];
}

export class ModelInstruments implements StatsObserver {
  readonly histogram: Histogram | undefined;
  readonly summaries: Partial<Record<SummaryKey, Summary>> = {};

  constructor(config: MetricsConfig, modelConfig: ModelConfig, withCache: boolean) {
    this.histogram = config.histogramLatencies
      ? new Histogram({
          name: FIRST_RESPONSE_HISTOGRAM, help: FIRST_RESPONSE_HISTOGRAM, registers: [],
          buckets: firstResponseBuckets(modelConfig, config.histogramBuckets),
        })
      : undefined;
    if (config.summaryLatencies) {
      const keys = (Object.keys(SUMMARY_FAMILIES) as SummaryKey[])
        .filter((k) => withCache || (k !== 'cacheHit' && k !== 'cacheMiss'));
      for (const key of keys) {
        this.summaries[key] = new Summary({
          name: SUMMARY_FAMILIES[key], help: SUMMARY_FAMILIES[key], registers: [],
          percentiles: config.summaryQuantiles.map((q) => q.quantile),
          maxAgeSeconds: config.summaryMaxAgeSecs,
          ageBuckets: config.summaryAgeBuckets,
        });
      }
    }
  }

  success(l: RequestLatency): void {
    const s = this.summaries;
    s.request?.observe(l.totalNs / 1000);
    s.queue?.observe(l.queueNs / 1000);
    // Compute phases exclude cache hits, as the compute counters do.
    if (l.executed) {
      s.computeInput?.observe(l.inputNs / 1000);
      s.computeInfer?.observe(l.inferNs / 1000);
      s.computeOutput?.observe(l.outputNs / 1000);
    }
  }

  firstResponse(ns: number): void {
    this.histogram?.observe(ns / 1e6);
  }

  cacheHit(ns: number): void {
    this.summaries.cacheHit?.observe(ns / 1000);
  }

  cacheMiss(ns: number): void {
    this.summaries.cacheMiss?.observe(ns / 1000);
  }
}
