/**
 * The dynamic batcher's queue (Triton's scheduler_utils PriorityQueue, in our own terms): one FIFO per
 * priority level, level 1 first, each with its queue policy (max_queue_size, timeout, REJECT / DELAY).
 * Without `priority_levels` every request goes to one level governed by `default_queue_policy`.
 *
 * Expiry is checked lazily, while a batch is being formed (`scan`), as Triton does: a REJECTed request
 * is taken out and handed back to the caller to answer; a DELAYed one moves behind the unexpired
 * requests of its level, where it stays (never expires again) until it is served.
 */
import type { ModelDynamicBatching, ModelQueuePolicy } from '../config/types.js';
import { ServerError, withRequestId, type InferenceRequest } from '../core/index.js';

export interface Queued {
  readonly request: InferenceRequest;
  /** Clock time (ms) at enqueue: the delay window counts from the oldest request of a batch. */
  readonly at: number;
  /** Clock time (ms) after which the request has expired; 0 = never. */
  readonly expiresAt: number;
}

/** Requests a scan took out of the queue instead of offering them for the batch. */
export interface Skipped {
  readonly rejected: InferenceRequest[];
  readonly cancelled: InferenceRequest[];
}

interface Level {
  readonly level: number;
  readonly maxQueueSize: number;
  /** µs; 0 = none. */
  readonly timeoutUs: number;
  readonly allowOverride: boolean;
  readonly delay: boolean;
  /** Unexpired (or not yet checked) requests, FIFO. */
  readonly items: Queued[];
  /** Expired requests under a DELAY policy, FIFO, served after `items`. */
  readonly delayed: Queued[];
}

export class PriorityQueue {
  /** Sorted by level ascending (1 = highest priority); levels are created when first used. */
  readonly #levels: Level[] = [];
  readonly #priorityLevels: number;
  readonly #defaultLevel: number;
  readonly #defaultPolicy: ModelQueuePolicy;
  readonly #policies: Readonly<Record<string, ModelQueuePolicy>>;
  #size = 0;

  constructor(config: ModelDynamicBatching) {
    this.#priorityLevels = config.priority_levels ?? 0;
    // Without priority levels everything shares level 0 (Triton's single default-policy queue).
    this.#defaultLevel = this.#priorityLevels === 0 ? 0 : config.default_priority_level ?? 0;
    this.#defaultPolicy = config.default_queue_policy ?? {};
    this.#policies = this.#priorityLevels === 0 ? {} : config.priority_queue_policy ?? {};
  }

  get size(): number {
    return this.#size;
  }

  /** The level a request is queued at: its priority, or the default for 0 / out-of-range values. */
  levelOf(request: InferenceRequest): number {
    const p = request.priority;
    return p === 0 || p > this.#priorityLevels ? this.#defaultLevel : p;
  }

  /** Queues `request`, or returns the UNAVAILABLE error when its level's queue is full. */
  enqueue(request: InferenceRequest, now: number): ServerError | undefined {
    const level = this.#level(this.levelOf(request));
    if (level.maxQueueSize > 0 && level.items.length + level.delayed.length >= level.maxQueueSize) {
      return ServerError.unavailable(withRequestId(request.id, 'Exceeds maximum queue size'));
    }
    let timeoutUs = level.timeoutUs;
    // Triton's rule: an override only ever shortens the level's timeout, so with no default it is ignored.
    if (level.allowOverride && request.timeoutUs !== 0 && request.timeoutUs < timeoutUs) timeoutUs = request.timeoutUs;
    level.items.push({ request, at: now, expiresAt: timeoutUs === 0 ? 0 : now + timeoutUs / 1000 });
    this.#size += 1;
    return undefined;
  }

  /** Takes `request` out wherever it waits; false when it is not queued (already taken). */
  remove(request: InferenceRequest): boolean {
    for (const level of this.#levels) {
      for (const list of [level.items, level.delayed]) {
        const at = list.findIndex((q) => q.request === request);
        if (at >= 0) {
          list.splice(at, 1);
          this.#size -= 1;
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Offers queued requests to `visit` in batch order (level by level; within a level, unexpired in
   * arrival order, then delayed) until it returns false. Requests it passes that are cancelled or
   * expired under REJECT are removed and added to `skipped`; expired ones under DELAY are moved behind
   * their level's unexpired requests (and offered there). After a scan the first n requests offered are
   * exactly the first n that `take(n)` returns.
   */
  scan(now: number, skipped: Skipped, visit: (q: Queued) => boolean): void {
    for (const level of this.#levels) {
      const { items, delayed } = level;
      for (let i = 0; i < items.length;) {
        const q = items[i]!;
        if (q.request.isCancelled) {
          items.splice(i, 1);
          this.#size -= 1;
          skipped.cancelled.push(q.request);
          continue;
        }
        if (q.expiresAt !== 0 && now > q.expiresAt) {
          items.splice(i, 1);
          if (level.delay) {
            // Delayed requests never expire again (Triton keeps no deadline for them).
            delayed.push({ request: q.request, at: q.at, expiresAt: 0 });
          } else {
            this.#size -= 1;
            skipped.rejected.push(q.request);
          }
          continue;
        }
        if (!visit(q)) return;
        i += 1;
      }
      for (let i = 0; i < delayed.length;) {
        const q = delayed[i]!;
        if (q.request.isCancelled) {
          delayed.splice(i, 1);
          this.#size -= 1;
          skipped.cancelled.push(q.request);
          continue;
        }
        if (!visit(q)) return;
        i += 1;
      }
    }
  }

  /** Removes and returns the first `count` requests in batch order (see `scan`). */
  take(count: number): InferenceRequest[] {
    const out: InferenceRequest[] = [];
    for (const level of this.#levels) {
      for (const list of [level.items, level.delayed]) {
        if (out.length >= count) break;
        const taken = list.splice(0, count - out.length);
        for (const q of taken) out.push(q.request);
      }
      if (out.length >= count) break;
    }
    this.#size -= out.length;
    return out;
  }

  #level(n: number): Level {
    let at = 0;
    while (at < this.#levels.length && this.#levels[at]!.level < n) at += 1;
    const found = this.#levels[at];
    if (found !== undefined && found.level === n) return found;
    const policy = this.#policies[String(n)] ?? this.#defaultPolicy;
    const level: Level = {
      level: n,
      maxQueueSize: policy.max_queue_size ?? 0,
      timeoutUs: policy.default_timeout_microseconds ?? 0,
      allowOverride: policy.allow_timeout_override ?? false,
      delay: policy.timeout_action === 'DELAY',
      items: [],
      delayed: [],
    };
    this.#levels.splice(at, 0, level);
    return level;
  }
}
