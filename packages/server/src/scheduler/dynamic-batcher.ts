/**
 * Triton's dynamic batcher (config `dynamic_batching`, max_batch_size > 0): when an instance is idle,
 * queued requests are merged in arrival order into one execution while the summed batch size fits
 * max_batch_size and every request has the first one's inputs with the same non-batch shapes.
 * A batch goes at once when it is full, cannot grow (the next request does not fit or differs in
 * shape) or reached a preferred size; otherwise it waits up to max_queue_delay_microseconds for the
 * oldest request. Priorities, queue timeouts and preserve_ordering are not implemented yet.
 */
import type { ModelDynamicBatching } from '../config/types.js';
import { ServerError, withRequestId, type InferenceRequest, type ModelSpec, type Scheduler } from '../core/index.js';
import type { InstancePool } from './instance-pool.js';

interface Queued {
  readonly request: InferenceRequest;
  /** performance.now() at enqueue, in ms: the delay window counts from the oldest request's arrival. */
  readonly at: number;
}

/** What one scan of the queue found: how many requests to send now, or how long to wait. */
type Decision = { readonly send: number } | { readonly waitMs: number };

export class DynamicBatcher implements Scheduler {
  readonly #pool: InstancePool;
  readonly #maxBatchSize: number;
  /** Sorted ascending; empty = only a full batch counts as "preferred" (Triton's default). */
  readonly #preferred: readonly number[];
  readonly #delayMs: number;
  readonly #maxQueueSize: number;
  /** Inputs with allow_ragged_batch: their shapes may differ between the requests of one batch. */
  readonly #ragged: ReadonlySet<string>;
  readonly #queue: Queued[] = [];
  #timer: NodeJS.Timeout | undefined;
  #running = 0;
  #stopping = false;
  #idle: (() => void) | undefined;

  constructor(pool: InstancePool, spec: ModelSpec, config: ModelDynamicBatching) {
    const maxBatchSize = spec.maxBatchSize;
    this.#pool = pool;
    this.#maxBatchSize = maxBatchSize;
    this.#preferred = [...(config.preferred_batch_size ?? [])].filter((n) => n > 0 && n <= maxBatchSize).sort((a, b) => a - b);
    this.#delayMs = (config.max_queue_delay_microseconds ?? 0) / 1000;
    this.#maxQueueSize = config.default_queue_policy?.max_queue_size ?? 0;
    this.#ragged = new Set(spec.inputs.filter((t) => t.allowRaggedBatch).map((t) => t.name));
    pool.onCapacity(() => this.#pump());
  }

  enqueue(request: InferenceRequest): void {
    if (this.#stopping) {
      request.respondError(ServerError.unavailable('model is being unloaded'));
      return;
    }
    if (this.#maxQueueSize > 0 && this.#queue.length >= this.#maxQueueSize) {
      request.respondError(ServerError.unavailable(withRequestId(request.id, 'Exceeds maximum queue size')));
      return;
    }
    this.#queue.push({ request, at: performance.now() });
    // A client that goes away while its request waits removes it at once (CANCELLED), so a
    // disconnect never costs an execution.
    request.signal?.addEventListener('abort', () => this.#cancel(request), { once: true });
    this.#pump();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    // Nothing new can join a waiting batch any more: send what is queued without waiting out the delay.
    this.#pump();
    if (this.#queue.length === 0 && this.#running === 0) return;
    await new Promise<void>((resolve) => {
      this.#idle = resolve;
    });
  }

  #cancel(request: InferenceRequest): void {
    const at = this.#queue.findIndex((q) => q.request === request);
    if (at < 0) return;
    this.#queue.splice(at, 1);
    request.respondError(ServerError.cancelled());
    // The cancelled request may have been the oldest one a timer was counting for, or the one that
    // blocked a merge: decide again.
    this.#pump();
    this.#settleIfStopped();
  }

  #settleIfStopped(): void {
    if (this.#stopping && this.#running === 0 && this.#queue.length === 0) this.#idle?.();
  }

  #pump(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    while (this.#pool.idleCount > 0 && this.#queue.length > 0) {
      const decision = this.#decide();
      if ('waitMs' in decision) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#pump();
        }, Math.max(1, Math.ceil(decision.waitMs)));
        return;
      }
      const batch = this.#queue.splice(0, decision.send).map((q) => q.request);
      this.#dispatch(batch);
    }
  }

  /** Scans the queue from the oldest request (Triton's GetDynamicBatch, in our own terms). */
  #decide(): Decision {
    const first = this.#queue[0]!.request;
    let count = 0;
    let size = 0;
    let bestPreferredCount = 0;
    let cannotGrow = false;
    for (const { request } of this.#queue) {
      if (count > 0 && (size + request.batchSize > this.#maxBatchSize || !sameShapes(first, request, this.#ragged))) {
        cannotGrow = true;
        break;
      }
      count += 1;
      size += request.batchSize;
      if (this.#preferred.includes(size)) bestPreferredCount = count;
      if (size >= this.#maxBatchSize) {
        cannotGrow = true;
        break;
      }
    }
    if (cannotGrow) return { send: count };
    if (bestPreferredCount > 0) return { send: bestPreferredCount };
    if (this.#stopping || this.#delayMs <= 0) return { send: count };
    const waited = performance.now() - this.#queue[0]!.at;
    if (waited >= this.#delayMs) return { send: count };
    return { waitMs: this.#delayMs - waited };
  }

  #dispatch(batch: InferenceRequest[]): void {
    // Requests cancelled between enqueue and now (no listener fired yet) never execute.
    const live: InferenceRequest[] = [];
    for (const r of batch) {
      if (r.isCancelled) r.respondError(ServerError.cancelled());
      else live.push(r);
    }
    if (live.length === 0) {
      this.#settleIfStopped();
      return;
    }
    this.#running += 1;
    void this.#pool.run(live).then(this.#afterRun, this.#afterRun);
  }

  readonly #afterRun = (): void => {
    this.#running -= 1;
    this.#pump();
    this.#settleIfStopped();
  };
}

/** Same input names and, per input not in `ragged`, the same shape apart from the batch dim. */
function sameShapes(a: InferenceRequest, b: InferenceRequest, ragged: ReadonlySet<string>): boolean {
  if (a.inputs.length !== b.inputs.length) return false;
  for (const t of a.inputs) {
    const u = b.input(t.name);
    if (u === undefined) return false;
    if (ragged.has(t.name)) continue;
    if (u.shape.length !== t.shape.length) return false;
    for (let i = 1; i < t.shape.length; i++) if (u.shape[i] !== t.shape[i]) return false;
  }
  return true;
}
