/**
 * `--workers N`: the load comes from N worker threads, each with its own connection (RemoteTransport)
 * and its share of the concurrency (or of the request rate), so one event loop encoding and decoding
 * requests does not cap what a fast server can be shown to do (perf_analyzer is native code).
 *
 * The main thread measures as with one load: before a window is closed it asks every worker for the
 * requests they completed (`sync`), converts their times to its own clock (performance.now() of each
 * thread counts from that thread's timeOrigin) and records them all in one Recorder, so throughput is
 * the count of all of them and the latency percentiles come from the merged samples.
 */
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { ServerError } from 'inferd';
import type { InputSet } from './input-data.js';
import { Recorder, type Load } from './load.js';
import type { PerfOptions } from './options.js';

/** What a worker is started with (structured-cloned). */
export interface WorkerInit {
  readonly options: PerfOptions;
  readonly sets: readonly InputSet[];
}

export type ToWorker =
  | { type: 'start'; mode: 'concurrency' | 'request-rate'; value: number; seed: number; delayMs: number }
  | { type: 'sync' } | { type: 'stop' } | { type: 'close' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'failed'; message: string; code?: string }
  /** Reply to sync/stop: completed requests as [start, end] pairs in epoch ms, and the first error. */
  | { type: 'completed'; times: Float64Array; outstanding: number; error?: { message: string; code?: string } };

/** Splits `total` over at most `workers` parts as evenly as integers allow (no zero parts). */
export function splitConcurrency(total: number, workers: number): number[] {
  const n = Math.max(1, Math.min(workers, total));
  return Array.from({ length: n }, (_, i) => Math.floor(total / n) + (i < total % n ? 1 : 0));
}

/** Epoch-ms [start, end] pairs from another thread -> Completed on this thread's performance clock. */
export function toLocalCompletions(times: Float64Array, origin = performance.timeOrigin): { startMs: number; endMs: number }[] {
  const out: { startMs: number; endMs: number }[] = [];
  for (let i = 0; i + 1 < times.length; i += 2) out.push({ startMs: times[i]! - origin, endMs: times[i + 1]! - origin });
  return out;
}

/**
 * The worker module: dist's .js; from the sources (tests run them through tsx, whose loader a thread
 * does not inherit) a small ES module that registers tsx in the thread, then imports the .ts.
 */
function workerSource(): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL('./load-worker.js', import.meta.url);
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./load-worker.ts', import.meta.url).href;
  const code = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(entry)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

function asError(e: { message: string; code?: string }): Error {
  const err = new Error(e.message) as Error & { code?: string };
  if (e.code !== undefined) err.code = e.code;
  return err;
}

class Thread {
  readonly worker: Worker;
  #exited = false;
  #waiting: ((m: FromWorker) => void)[] = [];

  constructor(init: WorkerInit) {
    this.worker = new Worker(workerSource(), { workerData: init });
    this.worker.on('message', (m: FromWorker) => this.#waiting.shift()?.(m));
    // A thread that dies answers every pending question with a failure (never a hang).
    const fail = (message: string): void => {
      for (const w of this.#waiting.splice(0)) w({ type: 'failed', message });
    };
    this.worker.on('error', (err) => fail(`load generator thread failed: ${err.message}`));
    this.worker.on('exit', (code) => {
      this.#exited = true;
      fail(`load generator thread exited (${code})`);
    });
  }

  get exited(): boolean {
    return this.#exited;
  }

  /** Sends `m` (if any) and resolves with the worker's next message. */
  ask(m?: ToWorker): Promise<FromWorker> {
    if (this.#exited) return Promise.resolve({ type: 'failed', message: 'load generator thread has exited' });
    const reply = new Promise<FromWorker>((resolve) => this.#waiting.push(resolve));
    if (m !== undefined) this.worker.postMessage(m);
    return reply;
  }
}

export class WorkerPool {
  readonly #threads: Thread[];

  private constructor(threads: Thread[]) {
    this.#threads = threads;
  }

  get size(): number {
    return this.#threads.length;
  }

  /** Starts `count` workers; each opens its connection and prepares every input set before it is ready. */
  static async open(count: number, init: WorkerInit): Promise<WorkerPool> {
    const threads = Array.from({ length: count }, () => new Thread(init));
    const pool = new WorkerPool(threads);
    const replies = await Promise.all(threads.map((t) => t.ask()));
    const failed = replies.find((r) => r.type === 'failed');
    if (failed !== undefined && failed.type === 'failed') {
      await pool.close();
      throw ServerError.from(asError(failed));
    }
    return pool;
  }

  /** One load level spread over the workers. */
  load(mode: 'concurrency' | 'request-rate', value: number, seed: number): Load {
    return new PooledLoad(this.#threads, mode, value, seed);
  }

  async close(): Promise<void> {
    await Promise.all(this.#threads.map(async (t) => {
      if (t.exited) return;
      const exited = new Promise<void>((resolve) => t.worker.once('exit', () => resolve()));
      t.worker.postMessage({ type: 'close' } satisfies ToWorker);
      await exited;
    }));
  }
}

class PooledLoad implements Load {
  readonly recorder = new Recorder();
  readonly #shares: { thread: Thread; value: number; delayMs: number; seed: number }[];
  readonly #mode: 'concurrency' | 'request-rate';
  #outstanding = 0;

  constructor(threads: Thread[], mode: 'concurrency' | 'request-rate', value: number, seed: number) {
    this.#mode = mode;
    if (mode === 'concurrency') {
      this.#shares = splitConcurrency(value, threads.length).map((v, i) => ({ thread: threads[i]!, value: v, delayMs: 0, seed }));
    } else {
      // Each worker sends rate/N, started 1/N of an interval apart so a constant schedule stays even.
      const n = threads.length;
      this.#shares = threads.map((thread, i) => ({ thread, value: value / n, delayMs: (i * 1000) / value, seed: seed + i }));
    }
  }

  get outstanding(): number {
    return this.#outstanding;
  }

  start(): void {
    for (const s of this.#shares) {
      s.thread.worker.postMessage({ type: 'start', mode: this.#mode, value: s.value, seed: s.seed, delayMs: s.delayMs } satisfies ToWorker);
    }
  }

  /** Pulls every worker's completed requests into the recorder (the measurement calls it before a window closes). */
  async sync(): Promise<void> {
    await this.#collect({ type: 'sync' });
  }

  async stop(): Promise<void> {
    await this.#collect({ type: 'stop' });
  }

  async #collect(m: ToWorker): Promise<void> {
    const replies = await Promise.all(this.#shares.map((s) => s.thread.ask(m)));
    let outstanding = 0;
    for (const r of replies) {
      if (r.type === 'failed') {
        this.recorder.fail(asError(r));
        continue;
      }
      if (r.type !== 'completed') continue;
      for (const c of toLocalCompletions(r.times)) this.recorder.record(c);
      if (r.error !== undefined) this.recorder.fail(asError(r.error));
      outstanding += r.outstanding;
    }
    this.#outstanding = outstanding;
  }
}
