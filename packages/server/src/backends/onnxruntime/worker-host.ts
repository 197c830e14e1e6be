/**
 * The main-thread side of one instance worker: starts it, sends one batch at a time, and turns a
 * crash into INTERNAL errors for whatever was in flight (the server itself keeps running).
 */
import { Worker } from 'node:worker_threads';
import { ServerError } from '../../core/index.js';
import type { SessionMetadata, WireTensor, WorkerInit, WorkerToHost } from './types.js';

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

export class WorkerHost {
  readonly label: string;
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #failure: ServerError | undefined;
  #metadata: SessionMetadata | undefined;
  #ready: Promise<SessionMetadata>;

  private constructor(init: WorkerInit, label: string, spawn: (init: WorkerInit) => Worker) {
    this.label = label;
    this.#worker = spawn(init);
    this.#ready = new Promise<SessionMetadata>((resolve, reject) => {
      this.#worker.on('message', (msg: WorkerToHost) => {
        switch (msg.kind) {
          case 'ready':
            this.#metadata = msg.metadata;
            this.#worker.unref();
            resolve(msg.metadata);
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
        this.#fail(ServerError.internal(`onnxruntime instance '${label}' worker failed: ${err.message}`, err));
        reject(this.#failure);
      });
      this.#worker.on('exit', (code) => {
        this.#fail(ServerError.internal(`onnxruntime instance '${label}' worker exited with code ${code}`));
        reject(this.#failure);
      });
    });
  }

  /**
   * Starts a worker and waits until its session is loaded. `spawn` is the thread factory (tests keep
   * a handle on the real worker to kill it like a crash would).
   */
  static async start(init: WorkerInit, label: string, spawn = spawnWorker): Promise<WorkerHost> {
    const host = new WorkerHost(init, label, spawn);
    await host.#ready;
    return host;
  }

  get metadata(): SessionMetadata {
    if (this.#metadata === undefined) throw ServerError.internal(`onnxruntime instance '${this.label}' is not ready`);
    return this.#metadata;
  }

  /** False once the worker crashed, exited or was terminated. */
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
      this.#worker.postMessage({ kind: 'run', id, feeds, fetches }, [...transfer]);
    });
  }

  async terminate(): Promise<void> {
    this.#fail(ServerError.unavailable(`onnxruntime instance '${this.label}' was unloaded`));
    await this.#worker.terminate();
  }

  #settle(id: number): Pending | undefined {
    const p = this.#pending.get(id);
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#worker.unref();
    return p;
  }

  #fail(err: ServerError): void {
    if (this.#failure !== undefined) return;
    this.#failure = err;
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }
}
