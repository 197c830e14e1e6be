/**
 * Abort listeners for requests while they wait in a scheduler's queue. One gRPC stream hands the same
 * signal to every request it carries, so a listener left behind once a request has left the queue
 * would keep that request (and its tensors) alive for as long as the stream lives. Each scheduler
 * watches a request when it queues it and unwatches it on every way out of the queue (taken for an
 * execution, cancelled, rejected, expired).
 */
import type { InferenceRequest } from '../core/index.js';

export class AbortWatch {
  readonly #onAbort: (request: InferenceRequest) => void;
  readonly #listeners = new Map<InferenceRequest, () => void>();

  constructor(onAbort: (request: InferenceRequest) => void) {
    this.#onAbort = onAbort;
  }

  /** Requests watched right now (tests, and a check that nothing is left behind). */
  get size(): number {
    return this.#listeners.size;
  }

  /** Calls `onAbort(request)` if the request's client goes away before `unwatch(request)`. */
  watch(request: InferenceRequest): void {
    const signal = request.signal;
    if (signal === undefined) return;
    const listener = (): void => {
      this.#listeners.delete(request);
      this.#onAbort(request);
    };
    this.#listeners.set(request, listener);
    signal.addEventListener('abort', listener, { once: true });
  }

  unwatch(request: InferenceRequest): void {
    const listener = this.#listeners.get(request);
    if (listener === undefined) return;
    this.#listeners.delete(request);
    request.signal?.removeEventListener('abort', listener);
  }
}
