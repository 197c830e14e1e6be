/**
 * Which ready sequences of one idle instance go into its next execution (one request each), or how long
 * to wait for more. Direct (Triton's DirectSequenceBatch): every ready slot, unless
 * `minimum_slot_utilization` and `max_queue_delay_microseconds` ask to wait for more ready slots.
 * Oldest (OldestSequenceBatch): the candidate sequences whose next request is oldest, up to
 * max_batch_size, sent at once when full or at a preferred size, else after the queue delay.
 */
import type { ModelSequenceBatching } from '../../config/types.js';
import type { Sequence } from './sequence.js';

export type Pick = { readonly take: readonly Sequence[] } | { readonly waitMs: number };

export interface BatchPolicy {
  /** Slots per instance. */
  readonly slotCount: number;
  /** `ready`: sequences with a queued request, in slot order. `flush`: send now (stopping). */
  pick(ready: readonly Sequence[], now: number, flush: boolean): Pick;
}

function frontAt(s: Sequence): number {
  return s.queue[0]!.at;
}

class DirectPolicy implements BatchPolicy {
  readonly slotCount: number;
  readonly #delayMs: number;
  readonly #minUtilization: number;

  constructor(slotCount: number, delayMs: number, minUtilization: number) {
    this.slotCount = slotCount;
    this.#delayMs = delayMs;
    this.#minUtilization = minUtilization;
  }

  pick(ready: readonly Sequence[], now: number, flush: boolean): Pick {
    // As in Triton, waiting needs both knobs: a delay and a utilization to wait for.
    if (flush || this.#delayMs <= 0 || this.#minUtilization <= 0) return { take: ready };
    if (ready.length / this.slotCount >= this.#minUtilization) return { take: ready };
    const waited = now - Math.min(...ready.map(frontAt));
    if (waited >= this.#delayMs) return { take: ready };
    return { waitMs: this.#delayMs - waited };
  }
}

class OldestPolicy implements BatchPolicy {
  readonly slotCount: number;
  readonly #maxBatch: number;
  /** Ascending. */
  readonly #preferred: readonly number[];
  readonly #delayMs: number;

  constructor(slotCount: number, maxBatch: number, preferred: readonly number[], delayMs: number) {
    this.slotCount = slotCount;
    this.#maxBatch = maxBatch;
    this.#preferred = [...preferred].filter((n) => n > 0 && n <= maxBatch).sort((a, b) => a - b);
    this.#delayMs = delayMs;
  }

  pick(ready: readonly Sequence[], now: number, flush: boolean): Pick {
    const oldest = [...ready].sort((a, b) => frontAt(a) - frontAt(b));
    const n = Math.min(oldest.length, this.#maxBatch);
    if (n >= this.#maxBatch) return { take: oldest.slice(0, n) };
    let preferred = 0;
    for (const p of this.#preferred) if (p <= n) preferred = p;
    if (preferred > 0) return { take: oldest.slice(0, preferred) };
    if (flush || this.#delayMs <= 0) return { take: oldest.slice(0, n) };
    const waited = now - frontAt(oldest[0]!);
    if (waited >= this.#delayMs) return { take: oldest.slice(0, n) };
    return { waitMs: this.#delayMs - waited };
  }
}

/** The policy the config asks for; `maxBatchSize` is the model's (0 = no batching: one request per execution). */
export function batchPolicy(batcher: ModelSequenceBatching, maxBatchSize: number): BatchPolicy {
  const maxBatch = Math.max(1, maxBatchSize);
  const oldest = batcher.oldest;
  if (oldest !== undefined) {
    const candidates = (oldest.max_candidate_sequences ?? 0) > 0 ? oldest.max_candidate_sequences! : maxBatch;
    return new OldestPolicy(candidates, maxBatch, oldest.preferred_batch_size ?? [], (oldest.max_queue_delay_microseconds ?? 0) / 1000);
  }
  const direct = batcher.direct;
  return new DirectPolicy(maxBatch, (direct?.max_queue_delay_microseconds ?? 0) / 1000, direct?.minimum_slot_utilization ?? 0);
}
