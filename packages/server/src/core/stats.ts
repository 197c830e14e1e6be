/**
 * Per model-version statistics, derived from request timestamps at release (spec §4.4). Counters only
 * grow: perf_analyzer diffs them between measurement windows.
 */
import type { ServerError } from './errors.js';
import type { InferenceRequest } from './request.js';
import type { InferenceResponse } from './response.js';

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

/**
 * Why a request failed, as Triton labels `nv_inference_request_failure` (spec §9): REJECTED = refused by
 * the scheduler queue (full, timed out, model unloading), CANCELED = cancelled by the client,
 * BACKEND = failed during execution, OTHER = anything else (e.g. a sequence control error).
 */
export const FAILURE_REASONS = ['REJECTED', 'CANCELED', 'BACKEND', 'OTHER'] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** One entry of `response_stats` (spec §4.4; gRPC InferResponseStatistics). */
export interface ResponseStat {
  compute_infer: Duration;
  compute_output: Duration;
  success: Duration;
  fail: Duration;
  empty_response: Duration;
  cancel: Duration;
}

/** Latencies of one successful request, in ns (0 = the phase did not happen, e.g. a cache hit). */
export interface RequestLatency {
  readonly totalNs: number;
  readonly queueNs: number;
  /** False for cache hits: no compute phases. */
  readonly executed: boolean;
  readonly inputNs: number;
  readonly inferNs: number;
  readonly outputNs: number;
}

/**
 * Per-request observations for histogram and summary metrics (`--metrics-config`). Set on a ModelStats
 * only when such metrics are on, so the default hot path pays one `undefined` check.
 */
export interface StatsObserver {
  success(latency: RequestLatency): void;
  /** Time from receipt to the first response (the final one for non-decoupled models), ns. */
  firstResponse(ns: number): void;
  cacheHit(ns: number): void;
  cacheMiss(ns: number): void;
}

/** Where a decoupled request is in its response sequence. */
interface ResponseCursor {
  index: number;
  /** Monotonic ns of the previous response (or of the compute start before the first). */
  lastNs: number;
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
  /** Failed requests per reason (`nv_inference_request_failure{reason}`); sums to `fail.count`. */
  readonly failures: Record<FailureReason, number> = { REJECTED: 0, CANCELED: 0, BACKEND: 0, OTHER: 0 };
  /** Decoupled models: statistics per response index (key = index). */
  readonly responses = new Map<number, ResponseStat>();
  /** Seconds the version took to load (`nv_model_load_duration_secs`); set by the loader. */
  loadDurationSecs = 0;
  /** Histogram/summary sink installed by the metrics registry when those metrics are on. */
  observer: StatsObserver | undefined;
  readonly #cursors = new WeakMap<InferenceRequest, ResponseCursor>();

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

  /**
   * Called once per request, at its final response (after `recordResponse` for decoupled models);
   * `error` (when not ok) picks the failure reason.
   */
  recordRequest(request: InferenceRequest, ok: boolean, endNs: number, error?: ServerError): void {
    const t = request.timestamps;
    this.lastInferenceMs = Date.now();
    if (!ok) {
      add(this.fail, endNs - t.received);
      this.failures[failureReason(request, error)] += 1;
      return;
    }
    this.inferenceCount += request.batchSize;
    const totalNs = endNs - t.received;
    add(this.success, totalNs);
    const queueNs = t.computeStart > 0 && t.queueStart > 0 ? t.computeStart - t.queueStart : 0;
    add(this.queue, queueNs);
    let inputNs = 0;
    let inferNs = 0;
    let outputNs = 0;
    if (t.computeStart > 0) {
      const inputEnd = t.computeInputEnd || t.computeStart;
      const outputStart = t.computeOutputStart || inputEnd;
      const end = t.computeEnd || outputStart;
      inputNs = inputEnd - t.computeStart;
      inferNs = outputStart - inputEnd;
      outputNs = end - outputStart;
      add(this.computeInput, inputNs);
      add(this.computeInfer, inferNs);
      add(this.computeOutput, outputNs);
    }
    const o = this.observer;
    if (o !== undefined) {
      o.success({ totalNs, queueNs, executed: t.computeStart > 0, inputNs, inferNs, outputNs });
      // Decoupled requests report their first response from recordResponse.
      if (!this.#cursors.has(request)) o.firstResponse(totalNs);
    }
  }

  /**
   * Decoupled models, every response as it leaves the server (spec §4.4 `response_stats`, Triton's
   * per-response statistics): index i counts its compute_infer = time since the previous response (or
   * the compute start) and compute_output = post-processing until `sentNs`; success/fail add both,
   * empty_response (flag-only final) and cancel add compute_infer only.
   */
  recordResponse(request: InferenceRequest, response: InferenceResponse, arrivedNs: number, sentNs: number): void {
    let cursor = this.#cursors.get(request);
    if (cursor === undefined) {
      const t = request.timestamps;
      cursor = { index: 0, lastNs: t.computeStart || t.queueStart || t.received };
      this.#cursors.set(request, cursor);
      if (response.error === undefined) this.observer?.firstResponse(arrivedNs - t.received);
    }
    let s = this.responses.get(cursor.index);
    if (s === undefined) {
      s = { compute_infer: zero(), compute_output: zero(), success: zero(), fail: zero(), empty_response: zero(), cancel: zero() };
      this.responses.set(cursor.index, s);
    }
    const inferNs = arrivedNs - cursor.lastNs;
    const outputNs = sentNs - arrivedNs;
    const err = response.error;
    add(s.compute_infer, inferNs);
    if (err !== undefined && err.code === 'CANCELLED') {
      add(s.cancel, inferNs);
    } else if (err === undefined && response.outputs.length === 0) {
      add(s.empty_response, inferNs);
    } else {
      add(s.compute_output, outputNs);
      add(err === undefined ? s.success : s.fail, inferNs + outputNs);
    }
    cursor.index += 1;
    cursor.lastNs = sentNs;
    // The cursor stays (weakly held) after the final response so recordRequest knows the first response
    // of this request was already observed.
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
    const o = this.observer;
    if (o !== undefined) {
      const totalNs = endNs - request.timestamps.received;
      o.success({ totalNs, queueNs: 0, executed: false, inputNs: 0, inferNs: 0, outputNs: 0 });
      o.firstResponse(totalNs);
      o.cacheHit(lookupNs);
    }
  }

  /**
   * A request that missed the cache and succeeded: `cache_miss` (ns = lookup + insert). Its success,
   * queue and compute stats come from `recordRequest`, called with an end time after the insert.
   */
  recordCacheMiss(lookupAndInsertNs: number): void {
    add(this.cacheMiss, lookupAndInsertNs);
    this.observer?.cacheMiss(lookupAndInsertNs);
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
      response_stats: Object.fromEntries([...this.responses.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([index, r]) => [String(index), {
          compute_infer: { ...r.compute_infer },
          compute_output: { ...r.compute_output },
          success: { ...r.success },
          fail: { ...r.fail },
          empty_response: { ...r.empty_response },
          cancel: { ...r.cancel },
        }])),
      batch_stats,
      // CPU only: Triton reports GPU/pinned allocations of the model here; ONNX Runtime on CPU has none we track.
      memory_usage: [],
    };
  }
}

/** Triton's failure reason for a request that ended in `error` (see FAILURE_REASONS). */
function failureReason(request: InferenceRequest, error: ServerError | undefined): FailureReason {
  if (error?.code === 'CANCELLED') return 'CANCELED';
  if (request.timestamps.computeStart > 0) return 'BACKEND';
  // Refused by the scheduler before execution: queue full, queue timeout, model being unloaded.
  if (error?.code === 'UNAVAILABLE' && request.timestamps.queueStart > 0) return 'REJECTED';
  return 'OTHER';
}
