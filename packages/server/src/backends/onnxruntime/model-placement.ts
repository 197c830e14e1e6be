/**
 * One model's placement between the main thread and the session pool: the inline policy's decisions
 * applied (opening or releasing the model's one main-thread session) and logged. The main thread runs
 * one thing at a time, so the model's instances share that session.
 */
import { ServerError } from '../../core/index.js';
import type { BackendLogger } from '../contract.js';
import { InlinePolicy, PROBE_RUNS, PROMOTE_MEDIAN_US, type ExecutionMode } from './inline-policy.js';
import { InlineSession } from './inline-session.js';
import type { WorkerSessionOptions } from './types.js';

export class ModelPlacement {
  readonly #policy: InlinePolicy;
  readonly #modelPath: string;
  readonly #options: WorkerSessionOptions;
  readonly #name: string;
  readonly #log: BackendLogger;
  #inline: InlineSession | undefined;
  #disposed = false;

  constructor(mode: ExecutionMode, modelPath: string, options: WorkerSessionOptions, name: string, log: BackendLogger) {
    this.#policy = new InlinePolicy(mode);
    this.#modelPath = modelPath;
    this.#options = options;
    this.#name = name;
    this.#log = log;
  }

  get mode(): ExecutionMode {
    return this.#policy.mode;
  }

  /** The main-thread session while this model's runs go inline, else undefined (runs go to the pool). */
  get inline(): InlineSession | undefined {
    return this.#inline;
  }

  /** `inferd.execution: inline`: the main-thread session now (the model has no pool sessions). */
  openForcedInline(): void {
    if (this.#inline !== undefined) return;
    const session = InlineSession.open(this.#modelPath, this.#options);
    if (session === undefined) {
      throw ServerError.unsupported(`model '${this.#name}': inline execution needs onnxruntime-node's native binding, which this installation lacks`);
    }
    this.#inline = session;
    this.#log.info(`model '${this.#name}' runs inline on the main thread (inferd.execution: inline)`);
  }

  afterPoolRun(runUs: number): void {
    if (this.#policy.record(runUs, 'pool') !== 'to-inline' || this.#disposed) return;
    try {
      this.#inline = InlineSession.open(this.#modelPath, this.#options);
    } catch (err) {
      this.#log.warn(`model '${this.#name}' stays on the worker pool: ${(err as Error).message}`);
    }
    if (this.#inline === undefined) {
      this.#policy.pinToPool();
      return;
    }
    this.#log.info(`model '${this.#name}' runs inline on the main thread: median run under ${PROMOTE_MEDIAN_US} µs over ${PROBE_RUNS} timed on the worker pool`);
  }

  afterInlineRun(runUs: number): void {
    if (this.#policy.record(runUs, 'inline') !== 'to-pool') return;
    this.#inline?.release();
    this.#inline = undefined;
    this.#log.info(`model '${this.#name}' moved off the main thread to the worker pool: its inline runs got slow (last ${Math.round(runUs)} µs)`);
  }

  dispose(): void {
    this.#disposed = true;
    this.#inline?.release();
    this.#inline = undefined;
  }
}
