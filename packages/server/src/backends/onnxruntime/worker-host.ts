/**
 * The main-thread side of one instance worker: starts it, sends one batch at a time, and turns a
 * crash into INTERNAL errors for whatever was in flight (the server itself keeps running).
 */
import { Worker } from 'node:worker_threads';
import { ServerError } from '../../core/index.js';
import type { HostToWorker, SessionMetadata, WireTensor, WorkerInit, WorkerToHost } from './types.js';

interface Pending {
  resolve(outputs: readonly WireTensor[]): void;
  reject(err: ServerError): void;
}

/**
 * From compiled `dist/` the worker is `worker.js` next to this file. From sources (tests run
 * `node --import tsx`), Node 20 workers do not inherit tsx's loader, so a tiny bootstrap registers
 * tsx inside the worker before importing `worker.ts`.
 */
export function spawnWorker(init: WorkerInit): Worker {
  const self = import.meta.url;
  if (self.endsWith('.ts')) {
    const entry = new URL('./worker.ts', self).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
    return new Worker(bootstrap, { eval: true, workerData: init });
  }
  return new Worker(new URL('./worker.js', self), { workerData: init });
}

/** How long a closing worker may take to release its session before it is terminated (ms). */
const CLOSE_GRACE_MS = 5000;

export class WorkerHost {
  readonly label: string;
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  readonly #exited: Promise<void>;
  #nextId = 1;
  #failure: ServerError | undefined;
  #metadata: SessionMetadata | undefined;
  #closing: Promise<void> | undefined;

  private constructor(worker: Worker, label: string) {
    this.label = label;
    this.#worker = worker;
    this.#exited = new Promise((resolve) => worker.once('exit', () => resolve()));
  }

  /**
   * Starts a worker and waits until its session is loaded. `spawn` is the thread factory (tests use
   * it to hand in a thread that dies on purpose).
   */
  static async start(init: WorkerInit, label: string, spawn = spawnWorker): Promise<WorkerHost> {
    const host = new WorkerHost(spawn(init), label);
    await host.#listen();
    return host;
  }

  get metadata(): SessionMetadata {
    if (this.#metadata === undefined) throw ServerError.internal(`onnxruntime instance '${this.label}' is not ready`);
    return this.#metadata;
  }

  /** False once the worker crashed, exited or is closing. */
  get alive(): boolean {
    return this.#failure === undefined;
  }

  /** Runs one batch. `transfer` lists feed buffers to move (not copy) to the worker. */
  run(feeds: readonly WireTensor[], fetches: readonly string[], transfer: readonly ArrayBuffer[]): Promise<readonly WireTensor[]> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      // Keep the process alive while a result is owed; an idle worker must not hold it open.
      this.#worker.ref();
      this.#post({ kind: 'run', id, feeds, fetches }, transfer);
    });
  }

  /**
   * Ends the worker after the runs already sent: it releases its session and exits. Never
   * `Worker.terminate()` during a run: with onnxruntime-node 1.30 that aborts the whole process
   * ("terminate called after throwing an instance of 'Napi::Error'", seen here).
   */
  terminate(): Promise<void> {
    this.#closing ??= (async () => {
      this.#failure ??= ServerError.unavailable(`onnxruntime instance '${this.label}' was unloaded`);
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

  #post(message: HostToWorker, transfer?: readonly ArrayBuffer[]): void {
    try {
      this.#worker.postMessage(message, transfer as ArrayBuffer[] | undefined);
    } catch {
      // The thread is already gone; its 'exit' handler answers whatever is pending.
    }
  }

  #listen(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#worker.on('message', (msg: WorkerToHost) => {
        switch (msg.kind) {
          case 'ready':
            this.#metadata = msg.metadata;
            this.#worker.unref();
            resolve();
            break;
          case 'load-error':
            this.#fail(ServerError.internal(`onnx runtime error: ${msg.message}`));
            reject(this.#failure);
            void this.#worker.terminate();
            break;
          case 'result':
            this.#settle(msg.id)?.resolve(msg.outputs);
            break;
          case 'run-error':
            this.#settle(msg.id)?.reject(ServerError.internal(`onnx runtime error: ${msg.message}`));
            break;
        }
      });
      this.#worker.on('error', (err) => {
        this.#fail(ServerError.internal(`onnxruntime instance '${this.label}' worker failed: ${err.message}`, err));
        reject(this.#failure);
      });
      this.#worker.on('exit', (code) => {
        this.#fail(ServerError.internal(`onnxruntime instance '${this.label}' worker exited with code ${code}`));
        reject(this.#failure);
      });
    });
  }

  #settle(id: number): Pending | undefined {
    const p = this.#pending.get(id);
    this.#pending.delete(id);
    if (this.#pending.size === 0 && this.#closing === undefined) this.#worker.unref();
    return p;
  }

  /** Records the first failure and fails every pending run with it (later runs are refused). */
  #fail(err: ServerError): void {
    this.#failure ??= err;
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }
}
