/**
 * Per model-version statistics, derived from request timestamps at release (spec §4.4). Counters only
 * grow: perf_analyzer diffs them between measurement windows.
 */
import type { InferenceRequest } from './request.js';

export interface Duration { count: number; ns: number }

const zero = (): Duration => ({ count: 0, ns: 0 });

function add(d: Duration, ns: number): void {
  d.count += 1;
  d.ns += Math.max(0, ns);
}

export interface BatchStat {
  compute_input: Duration;
  compute_infer: Duration;
  compute_output: Duration;
}

export class ModelStats {
  readonly name: string;
  readonly version: number;
  lastInferenceMs = 0;
  inferenceCount = 0;
  executionCount = 0;
  readonly success = zero();
  readonly fail = zero();
  readonly queue = zero();
  readonly computeInput = zero();
  readonly computeInfer = zero();
  readonly computeOutput = zero();
  readonly cacheHit = zero();
  readonly cacheMiss = zero();
  readonly batches = new Map<number, BatchStat>();

  constructor(name: string, version: number) {
    this.name = name;
    this.version = version;
  }

  /** Called once per execution by whoever runs the instance (batch of `batchSize` inferences). */
  recordExecution(batchSize: number, inputNs: number, inferNs: number, outputNs: number): void {
    this.executionCount += 1;
    let b = this.batches.get(batchSize);
    if (b === undefined) {
      b = { compute_input: zero(), compute_infer: zero(), compute_output: zero() };
      this.batches.set(batchSize, b);
    }
    add(b.compute_input, inputNs);
    add(b.compute_infer, inferNs);
    add(b.compute_output, outputNs);
  }

  /** Called once per request, at its final response. */
  recordRequest(request: InferenceRequest, ok: boolean, endNs: number): void {
    const t = request.timestamps;
    this.lastInferenceMs = Date.now();
    if (!ok) {
      add(this.fail, endNs - t.received);
      return;
    }
    this.inferenceCount += request.batchSize;
    add(this.success, endNs - t.received);
    add(this.queue, t.computeStart > 0 && t.queueStart > 0 ? t.computeStart - t.queueStart : 0);
    if (t.computeStart > 0) {
      const inputEnd = t.computeInputEnd || t.computeStart;
      const outputStart = t.computeOutputStart || inputEnd;
      const end = t.computeEnd || outputStart;
      add(this.computeInput, inputEnd - t.computeStart);
      add(this.computeInfer, outputStart - inputEnd);
      add(this.computeOutput, end - outputStart);
    }
  }

  /**
   * A request answered from the response cache (spec §4.4): a success (ns = end to end) and a queue
   * entry with no wait, plus `cache_hit` (ns = lookup). Not an inference or an execution, so
   * `inference_count`, `execution_count` and compute_* stay as they are.
   */
  recordCacheHit(request: InferenceRequest, lookupNs: number, endNs: number): void {
    this.lastInferenceMs = Date.now();
    add(this.success, endNs - request.timestamps.received);
    add(this.queue, 0);
    add(this.cacheHit, lookupNs);
  }

  /**
   * A request that missed the cache and succeeded: `cache_miss` (ns = lookup + insert). Its success,
   * queue and compute stats come from `recordRequest`, called with an end time after the insert.
   */
  recordCacheMiss(lookupAndInsertNs: number): void {
    add(this.cacheMiss, lookupAndInsertNs);
  }

  /** Triton's `model_stats[]` entry (HTTP JSON shape; gRPC maps the same fields). */
  toJSON(): Record<string, unknown> {
    const batch_stats = [...this.batches.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([batch_size, s]) => ({ batch_size, ...s }));
    return {
      name: this.name,
      version: String(this.version),
      last_inference: this.lastInferenceMs,
      inference_count: this.inferenceCount,
      execution_count: this.executionCount,
      inference_stats: {
        success: { ...this.success },
        fail: { ...this.fail },
        queue: { ...this.queue },
        compute_input: { ...this.computeInput },
        compute_infer: { ...this.computeInfer },
        compute_output: { ...this.computeOutput },
        cache_hit: { ...this.cacheHit },
        cache_miss: { ...this.cacheMiss },
      },
      response_stats: {},
      batch_stats,
      memory_usage: [],
    };
  }
}
