/**
 * The two load modes. Concurrency (closed loop): N requests always outstanding, each worker sends its
 * next request when the previous answered. Request rate (open loop): requests leave on a schedule
 * (constant intervals or Poisson arrivals) whatever the server does, so queues show up as latency.
 * Both record every completed request for the measurement windows to pick up.
 */
import { performance } from 'node:perf_hooks';
import type { PreparedRequest, Transport } from './transport.js';
import type { RequestDistribution } from './options.js';

export interface Completed {
  /** performance.now() ms when the request was sent and when its final response arrived. */
  readonly startMs: number;
  readonly endMs: number;
}

/** Completed requests since the last `take()`, plus the first failure (the run stops on it). */
export class Recorder {
  #done: Completed[] = [];
  error: unknown = undefined;
  errorCount = 0;

  record(c: Completed): void {
    this.#done.push(c);
  }

  fail(err: unknown): void {
    this.errorCount += 1;
    this.error ??= err;
  }

  get pending(): number {
    return this.#done.length;
  }

  take(): Completed[] {
    const out = this.#done;
    this.#done = [];
    return out;
  }
}

export interface Load {
  readonly recorder: Recorder;
  /** Requests sent and not answered yet. */
  readonly outstanding: number;
  start(): void;
  /** Stops sending and waits for outstanding requests. */
  stop(): Promise<void>;
  /** Brings completions made elsewhere (worker threads) into `recorder`; called before a window closes. */
  sync?(): Promise<void>;
}

/** Requests cycle through the prepared input sets, one global order across workers. */
class RequestCycle {
  readonly #requests: readonly PreparedRequest[];
  #next = 0;

  constructor(requests: readonly PreparedRequest[]) {
    this.#requests = requests;
  }

  next(): PreparedRequest {
    const r = this.#requests[this.#next % this.#requests.length]!;
    this.#next += 1;
    return r;
  }
}

abstract class BaseLoad implements Load {
  readonly recorder = new Recorder();
  protected readonly transport: Transport;
  protected readonly cycle: RequestCycle;
  protected running = false;
  #outstanding = 0;
  #idle: (() => void) | undefined;

  constructor(transport: Transport, requests: readonly PreparedRequest[]) {
    this.transport = transport;
    this.cycle = new RequestCycle(requests);
  }

  get outstanding(): number {
    return this.#outstanding;
  }

  abstract start(): void;

  protected async send(): Promise<void> {
    this.#outstanding += 1;
    const startMs = performance.now();
    try {
      await this.transport.infer(this.cycle.next());
      this.recorder.record({ startMs, endMs: performance.now() });
    } catch (err) {
      this.recorder.fail(err);
    } finally {
      this.#outstanding -= 1;
      if (this.#outstanding === 0) this.#idle?.();
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.#outstanding > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
    this.#idle = undefined;
  }
}

export class ConcurrencyLoad extends BaseLoad {
  readonly #concurrency: number;

  constructor(transport: Transport, requests: readonly PreparedRequest[], concurrency: number) {
    super(transport, requests);
    this.#concurrency = concurrency;
  }

  start(): void {
    this.running = true;
    for (let i = 0; i < this.#concurrency; i++) void this.#worker();
  }

  async #worker(): Promise<void> {
    // A failed request ends the worker: the profiler reports the error and stops the run.
    while (this.running && this.recorder.error === undefined) await this.send();
  }
}

export class RequestRateLoad extends BaseLoad {
  readonly #intervalMs: number;
  readonly #distribution: RequestDistribution;
  readonly #random: () => number;
  #timer: NodeJS.Timeout | undefined;
  #due = 0;

  constructor(
    transport: Transport, requests: readonly PreparedRequest[], rate: number, distribution: RequestDistribution, seed: number,
  ) {
    super(transport, requests);
    this.#intervalMs = 1000 / rate;
    this.#distribution = distribution;
    let s = seed >>> 0 || 1;
    // xorshift32: seeded arrivals, so a Poisson schedule is the same run to run.
    this.#random = () => {
      s ^= s << 13; s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5; s >>>= 0;
      return s / 4294967296;
    };
  }

  #gap(): number {
    if (this.#distribution === 'constant') return this.#intervalMs;
    return -Math.log(1 - this.#random()) * this.#intervalMs;
  }

  start(): void {
    this.running = true;
    this.#due = performance.now();
    this.#tick();
  }

  /** Sends every request whose time has come (timers are ~1 ms coarse), then sleeps until the next one. */
  #tick(): void {
    this.#timer = undefined;
    if (!this.running || this.recorder.error !== undefined) return;
    const now = performance.now();
    while (this.#due <= now) {
      void this.send();
      this.#due += this.#gap();
    }
    this.#timer = setTimeout(() => this.#tick(), Math.max(0, this.#due - performance.now()));
  }

  override async stop(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await super.stop();
  }
}
