/**
 * Triton's default scheduler (no scheduling_choice in the config): each request runs alone on the next
 * free instance, in arrival order. The dynamic and sequence batchers (issue #4) replace it per config.
 */
import { ServerError, type InferenceRequest, type Scheduler } from '../core/index.js';
import { AbortWatch } from './abort-watch.js';
import type { InstancePool } from './instance-pool.js';

export class DefaultScheduler implements Scheduler {
  readonly #pool: InstancePool;
  readonly #queue: InferenceRequest[] = [];
  /** A client that goes away while its request waits removes it at once (CANCELLED). */
  readonly #aborts = new AbortWatch((request) => this.#cancel(request));
  #running = 0;
  #stopping = false;
  #idle: (() => void) | undefined;

  constructor(pool: InstancePool) {
    this.#pool = pool;
    pool.onCapacity(() => this.#pump());
  }

  /** Requests not executing yet: queued, or staged on a busy instance (read at metrics scrape time). */
  get pendingCount(): number {
    return this.#queue.length + this.#pool.stagedCount;
  }

  enqueue(request: InferenceRequest): void {
    if (this.#stopping) {
      request.respondError(ServerError.of('MODEL_UNLOADING'));
      return;
    }
    // Nothing waiting and an instance free: run at once; a request that never waits needs no abort
    // listener.
    if (this.#queue.length === 0 && this.#pool.idleCount > 0) {
      this.#dispatch(request);
      return;
    }
    this.#queue.push(request);
    this.#aborts.watch(request);
    this.#pump();
  }

  #cancel(request: InferenceRequest): void {
    const at = this.#queue.indexOf(request);
    if (at < 0) return;
    this.#queue.splice(at, 1);
    request.respondError(ServerError.cancelled());
    this.#settleIfStopped();
  }

  #settleIfStopped(): void {
    if (this.#stopping && this.#running === 0 && this.#queue.length === 0) this.#idle?.();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#queue.length === 0 && this.#running === 0) return;
    await new Promise<void>((resolve) => {
      this.#idle = resolve;
    });
  }

  #pump(): void {
    while (this.#pool.idleCount > 0) {
      const next = this.#queue.shift();
      if (next === undefined) break;
      this.#aborts.unwatch(next);
      this.#dispatch(next);
    }
  }

  #dispatch(request: InferenceRequest): void {
    if (request.isCancelled) {
      request.respondError(ServerError.cancelled());
      return;
    }
    this.#running += 1;
    void this.#pool.run([request]).then(this.#afterRun, this.#afterRun);
  }

  /** One settle handler for every run (no closure per request). */
  readonly #afterRun = (): void => {
    this.#running -= 1;
    this.#pump();
    this.#settleIfStopped();
  };
}
