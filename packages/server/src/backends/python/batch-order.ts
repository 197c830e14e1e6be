/**
 * The batches a Python instance has sent to its stub and not yet seen done, in the order sent. The stub's
 * main thread runs them one at a time in that order, so the first is running and any other is staged
 * (issue 15: the pool hands the instance its next batch while one runs). Moves a staged batch's compute
 * timestamps to the moment it starts, so its wait behind the previous batch counts as queue time.
 */
import { nowNs, type InferenceRequest } from '../../core/index.js';

export interface Batch {
  readonly keys: readonly number[];
  readonly requests: readonly InferenceRequest[];
  readonly settle: () => void;
}

export class BatchOrder {
  /** A Map keeps insertion order: the first entry is the batch the stub runs. */
  readonly #batches = new Map<number, Batch>();

  get size(): number {
    return this.#batches.size;
  }

  add(id: number, batch: Batch): void {
    this.#batches.set(id, batch);
  }

  get(id: number): Batch | undefined {
    return this.#batches.get(id);
  }

  ids(): number[] {
    return [...this.#batches.keys()];
  }

  /** The batch the stub is running now: the oldest one not done. */
  running(): number | undefined {
    for (const id of this.#batches.keys()) return id;
    return undefined;
  }

  /** True when `key` belongs to a staged batch (sent, not yet started by the stub). */
  isStaged(key: number): boolean {
    const running = this.running();
    for (const [id, batch] of this.#batches) if (id !== running && batch.keys.includes(key)) return true;
    return false;
  }

  /** Removes a batch that is done or failed; if it was running, the next one starts now. */
  end(id: number): void {
    const wasRunning = this.running() === id;
    this.#batches.delete(id);
    if (wasRunning) this.#started();
  }

  /**
   * The staged batch (if any) runs now. Its compute window moves here keeping the input write's duration
   * (compute_input); one whose inputs are still being written starts its input time now.
   */
  #started(): void {
    const id = this.running();
    if (id === undefined) return;
    const now = nowNs();
    for (const r of this.#batches.get(id)!.requests) {
      const t = r.timestamps;
      if (t.computeStart === 0) continue;
      if (t.computeInputEnd === 0) {
        t.computeStart = now;
        continue;
      }
      t.computeStart = now - (t.computeInputEnd - t.computeStart);
      t.computeInputEnd = now;
    }
  }
}
