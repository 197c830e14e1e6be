/**
 * The main-thread side of one pool thread: posts loads, runs and releases, matches the answers, and
 * turns a crash into INTERNAL errors for whatever was in flight on it (the server itself keeps running).
 */
import { Worker } from 'node:worker_threads';
import { ServerError, spareBuffers } from '../../core/index.js';
import type { HostToWorker, SessionId, SessionMetadata, WireTensor, WorkerSessionOptions, WorkerToHost } from './types.js';

export interface RunResult {
  readonly outputs: readonly WireTensor[];
  /** Time of `session.run` in the thread, µs. */
  readonly runUs: number;
}

interface Pending {
  /** The instance (or model) the message is for: crash messages name it. */
  readonly label: string;
  resolve(answer: Extract<WorkerToHost, { kind: 'loaded' | 'result' | 'done' }>): void;
  reject(err: ServerError): void;
}

/**
 * From compiled `dist/` the thread runs `worker.js` next to this file. From sources (tests run
 * `node --import tsx`), Node 20 workers do not inherit tsx's loader, so a tiny bootstrap registers
 * tsx inside the thread before importing `worker.ts`.
 */
export function spawnPoolWorker(): Worker {
  const self = import.meta.url;
  const execArgv = workerExecArgv(process.execArgv);
  if (self.endsWith('.ts')) {
    const entry = new URL('./worker.ts', self).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
    return new Worker(bootstrap, { eval: true, execArgv });
  }
  return new Worker(new URL('./worker.js', self), { execArgv });
}

/**
 * The host's Node flags minus those about the host's own entry: a worker inherits process.execArgv, and
 * `--input-type` (an app embedding inferd started as `node --input-type=module -e ...`) makes every worker
 * fail at start with "--input-type can only be used with string input".
 */
export function workerExecArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--input-type') {
      i++;
      continue;
    }
    if (a.startsWith('--input-type=')) continue;
    out.push(a);
  }
  return out;
}

/** How long a closing thread may take to release its sessions before it is terminated (ms). */
const CLOSE_GRACE_MS = 5000;

export class PoolThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  readonly #exited: Promise<void>;
  readonly #onExit: (thread: PoolThread) => void;
  #nextId = 1;
  #failed = false;
  #closing: Promise<void> | undefined;

  /** `onExit` runs once when the thread ends for any reason (crash or close). */
  constructor(worker: Worker, onExit: (thread: PoolThread) => void) {
    this.#worker = worker;
    this.#onExit = onExit;
    // An idle thread must not keep the process alive; `#send` refs it while an answer is owed.
    worker.unref();
    this.#exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (msg: WorkerToHost) => this.#answer(msg));
    worker.on('error', (err) => this.#fail((label) => ServerError.internal(`onnxruntime instance '${label}' worker failed: ${err.message}`, err)));
    worker.on('exit', (code) => {
      this.#fail((label) => ServerError.internal(`onnxruntime instance '${label}' worker exited with code ${code}`));
      this.#onExit(this);
    });
  }

  /** False once the thread crashed, exited or is closing. */
  get alive(): boolean {
    return !this.#failed && this.#closing === undefined;
  }

  /** Messages sent and not answered yet (the pool's measure of how busy the thread is). */
  get inFlight(): number {
    return this.#pending.size;
  }

  async load(session: SessionId, modelPath: string, options: WorkerSessionOptions, label: string): Promise<SessionMetadata> {
    const answer = await this.#send(label, (id) => ({ kind: 'load', id, session, modelPath, options }));
    return (answer as Extract<WorkerToHost, { kind: 'loaded' }>).metadata;
  }

  async metadata(modelPath: string, label: string): Promise<SessionMetadata> {
    const answer = await this.#send(label, (id) => ({ kind: 'metadata', id, modelPath }));
    return (answer as Extract<WorkerToHost, { kind: 'loaded' }>).metadata;
  }

  /** Runs one batch. `transfer` lists feed buffers to move (not copy) to the thread. */
  run(
    session: SessionId, feeds: readonly WireTensor[], fetches: readonly string[], transfer: readonly ArrayBuffer[], label: string,
  ): Promise<RunResult> {
    return this.#send(label, (id) => ({ kind: 'run', id, session, feeds, fetches }), transfer) as Promise<RunResult>;
  }

  async release(session: SessionId, label: string): Promise<void> {
    await this.#send(label, (id) => ({ kind: 'release', id, session }));
  }

  /**
   * Ends the thread after the messages already sent: it releases its sessions and exits. Never
   * `Worker.terminate()` during a run: with onnxruntime-node 1.30 that aborts the whole process
   * ("terminate called after throwing an instance of 'Napi::Error'", seen here).
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#worker.ref();
      this.#post({ kind: 'close' });
      const timer = setTimeout(() => {
        if (this.#pending.size === 0) void this.#worker.terminate();
      }, CLOSE_GRACE_MS);
      await this.#exited;
      clearTimeout(timer);
    })();
    return this.#closing;
  }

  #send(label: string, message: (id: number) => HostToWorker, transfer?: readonly ArrayBuffer[]): Promise<unknown> {
    if (this.#failed) return Promise.reject(ServerError.internal(`onnxruntime instance '${label}' worker is not running`));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { label, resolve, reject });
      // Keep the process alive while an answer is owed.
      if (this.#pending.size === 1) this.#worker.ref();
      this.#post(message(id), transfer);
    });
  }

  #post(message: HostToWorker, transfer?: readonly ArrayBuffer[]): void {
    try {
      this.#worker.postMessage(message, transfer as ArrayBuffer[] | undefined);
    } catch {
      // The thread is already gone; its 'exit' handler answers whatever is pending.
    }
  }

  #answer(msg: WorkerToHost): void {
    const p = this.#pending.get(msg.id);
    if (p === undefined) return;
    this.#pending.delete(msg.id);
    if (this.#pending.size === 0 && this.#closing === undefined) this.#worker.unref();
    if (msg.kind === 'result' && msg.spares !== undefined) for (const b of msg.spares) spareBuffers.give(b);
    if (msg.kind === 'failed') p.reject(ServerError.internal(`onnx runtime error: ${msg.message}`));
    else p.resolve(msg);
  }

  /** Fails every pending message, each with the error naming its own instance (later sends are refused). */
  #fail(error: (label: string) => ServerError): void {
    this.#failed = true;
    for (const p of this.#pending.values()) p.reject(error(p.label));
    this.#pending.clear();
  }
}
