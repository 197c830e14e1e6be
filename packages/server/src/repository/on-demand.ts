/**
 * `--model-load-on-demand` (issue 19): infer requests for a model that is in the repository but not
 * loaded wait for one shared load of it. Every waiter gets its lease in the same synchronous step that
 * ends the load, so no other load's eviction can slip in between and take the model away again.
 * A load failure answers every waiter with the load's reason; a waiter whose signal aborts is answered
 * CANCELLED at once (the load goes on for the others, and for the next request) and its abort listener
 * is removed whichever way it ends.
 */
import { ServerError, nowNs, type CancelSignal, type ModelLease } from '../core/index.js';

/** What a wait ended with, for the wait-time histogram. */
export type WaitOutcome = 'loaded' | 'failed' | 'cancelled';

export interface OnDemandHost {
  /**
   * Loads the model (in its queue). `ready` must be called synchronously once its new versions serve,
   * before the promise settles; a rejection is the load's error.
   */
  load(name: string, ready: () => void): Promise<void>;
  /** A lease on the loaded model (throws the usual NOT_FOUND / UNAVAILABLE when the version is not there). */
  acquire(name: string, version: number | undefined): ModelLease;
  /** Called once per waiter with how long it waited. */
  waited?(seconds: number, outcome: WaitOutcome): void;
}

interface Waiter {
  readonly version: number | undefined;
  readonly startNs: number;
  readonly resolve: (lease: ModelLease) => void;
  readonly reject: (err: ServerError) => void;
  readonly signal: CancelSignal | undefined;
  readonly onAbort: () => void;
  done: boolean;
}

export class OnDemandLoads {
  readonly #host: OnDemandHost;
  /** Models being loaded on demand and the requests waiting for them. */
  readonly #waiting = new Map<string, Waiter[]>();

  constructor(host: OnDemandHost) {
    this.#host = host;
  }

  /** Models with a load on demand in progress (for the load counter's `trigger` label). */
  has(name: string): boolean {
    return this.#waiting.has(name);
  }

  /** A lease once `name` has loaded; joins the load in progress when there is one. */
  wait(name: string, version: number | undefined, signal: CancelSignal | undefined): Promise<ModelLease> {
    if (signal?.aborted === true) return Promise.reject(ServerError.cancelled());
    return new Promise<ModelLease>((resolve, reject) => {
      const waiter: Waiter = {
        version, startNs: nowNs(), resolve, reject, signal, done: false,
        onAbort: () => this.#finish(waiter, 'cancelled', () => reject(ServerError.cancelled())),
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      const list = this.#waiting.get(name);
      if (list !== undefined) {
        list.push(waiter);
        return;
      }
      const waiters = [waiter];
      this.#waiting.set(name, waiters);
      this.#host.load(name, () => this.#ready(name, waiters)).then(
        // A load that resolved without calling `ready` (a no-op load): answer with acquire's outcome.
        () => this.#ready(name, waiters),
        (err: unknown) => this.#failed(name, waiters, ServerError.from(err)),
      );
    });
  }

  /** The load finished: every waiter leases the new version now, in this one synchronous step. */
  #ready(name: string, list: Waiter[]): void {
    if (this.#waiting.get(name) !== list) return; // answered already
    this.#waiting.delete(name);
    for (const w of list) {
      let lease: ModelLease;
      try {
        lease = this.#host.acquire(name, w.version);
      } catch (err) {
        this.#finish(w, 'failed', () => w.reject(ServerError.from(err)));
        continue;
      }
      if (w.done) {
        lease.release(); // cancelled meanwhile (cannot happen inside this step, but stay safe)
        continue;
      }
      this.#finish(w, 'loaded', () => w.resolve(lease));
    }
  }

  #failed(name: string, list: Waiter[], err: ServerError): void {
    if (this.#waiting.get(name) !== list) return;
    this.#waiting.delete(name);
    // An infer request did not ask for a load: a model that cannot load is not available to it.
    const answer = err.code === 'UNAVAILABLE' || err.code === 'CANCELLED' ? err : ServerError.unavailable(err.message);
    for (const w of list) this.#finish(w, 'failed', () => w.reject(answer));
  }

  #finish(w: Waiter, outcome: WaitOutcome, answer: () => void): void {
    if (w.done) return;
    w.done = true;
    w.signal?.removeEventListener('abort', w.onAbort);
    this.#host.waited?.((nowNs() - w.startNs) / 1e9, outcome);
    answer();
  }
}
