/**
 * A CancelSignal over a grpc-js unary call. grpc-js reports every finished unary call as cancelled
 * (its stream closes), so an AbortController listening for that aborted once per request and built a
 * DOMException each time (~5% of the server's CPU in the bench). This reads the call's own flag
 * and only subscribes when core asks for a listener (a request that waits in a queue).
 */
import type { ServerUnaryCall } from '@grpc/grpc-js';
import type { CancelSignal } from '../../core/index.js';

export class CallSignal implements CancelSignal {
  readonly #call: ServerUnaryCall<unknown, unknown>;

  constructor(call: ServerUnaryCall<unknown, unknown>) {
    this.#call = call;
  }

  get aborted(): boolean {
    return this.#call.cancelled;
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    // Like AbortSignal: a listener added after the abort is never called.
    if (!this.#call.cancelled) this.#call.once('cancelled', listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    this.#call.removeListener('cancelled', listener);
  }
}
