/**
 * The interfaces core calls but does not implement. `repository`, `scheduler` and `backends` implement
 * them; `cli` (or an embedding app) wires them together. Core never imports those folders.
 */
import type { DataType } from '@inferd/protocol';
import type { CancelSignal, InferenceRequest } from './request.js';
import type { ModelStats } from './stats.js';

/** One input or output of a model as core validates it (derived from the normalized config). */
export interface TensorSpec {
  readonly name: string;
  readonly datatype: DataType;
  /** Config `dims`, without the batch dim; -1 = variable. */
  readonly dims: readonly number[];
  /** Config `reshape.shape` when set: the shape the backend sees (without batch dim). */
  readonly reshape?: readonly number[];
  readonly optional: boolean;
  readonly allowRaggedBatch: boolean;
  readonly isShapeTensor: boolean;
  /** Outputs only: labels from `label_filename`, line i = label of class index i. */
  readonly labels?: readonly string[];
}

/** What core needs to know about one loaded model version. */
export interface ModelSpec {
  readonly name: string;
  readonly version: number;
  /** Config `platform`, or `backend` when platform is empty (what model metadata reports). */
  readonly platform: string;
  readonly maxBatchSize: number;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly decoupled: boolean;
  /**
   * Inputs the scheduler injects and clients may not send: sequence-batcher control inputs (START, END,
   * READY, CORRID) and implicit-state inputs. Backends must accept them like config inputs.
   */
  readonly internalInputs: readonly TensorSpec[];
  /**
   * Outputs the scheduler consumes and clients never see: implicit-state outputs. A backend produces one
   * when it is in a request's `requestedOutputs`.
   */
  readonly internalOutputs: readonly TensorSpec[];
  /** The normalized config rendered as Triton's /config JSON (spec §6.3). */
  readonly configJson: Readonly<Record<string, unknown>>;
}

/** Accepts validated requests and eventually answers each through `request.respond`. */
export interface Scheduler {
  /** Never throws for a single request's fault: errors go into the request's responses. */
  enqueue(request: InferenceRequest): void;
  /** Requests enqueued and not yet executing (`nv_inference_pending_request_count`); absent = 0. */
  readonly pendingCount?: number;
  /** Stop taking work; resolves once queued and running work has finished. */
  stop(): Promise<void>;
}

/**
 * One execution unit of a backend (a model instance). Receives a list of requests per execution so it
 * can batch; answers every request (final response) before the returned promise settles, or rejects
 * and leaves answering to the caller.
 */
export interface ExecutionInstance {
  readonly name: string;
  /**
   * How many executions the instance accepts at once (default 1). More than one means it queues the later
   * ones itself and runs them in order: the pool may then hand it the next execution while one runs, so its
   * inputs travel while the previous one computes (the Python stub, issue 15). Only a pool made with
   * `staging` uses more than 1.
   */
  readonly executionSlots?: number;
  /**
   * False while the instance must not take a staged execution even with a slot free (read at each handover;
   * absent = true). The Python instance says false while its running execute waits on BLS calls: a call
   * into this same model staged behind its own parent would never run.
   */
  readonly canStage?: boolean;
  /**
   * True while `execute` runs and answers on the event loop itself, synchronously (an inline ONNX run;
   * read at each enqueue; absent = false). Such an instance is idle again before the next socket's request
   * is even parsed, so a dynamic batcher could never see two requests at once: it lets the current I/O
   * phase's requests queue first (dynamic-batcher.ts).
   */
  readonly runsOnEventLoop?: boolean;
  execute(requests: readonly InferenceRequest[]): Promise<void>;
  dispose(): Promise<void>;
}

/** One loaded, servable model version. */
export interface ServedModel {
  readonly spec: ModelSpec;
  readonly scheduler: Scheduler;
  readonly stats: ModelStats;
  /**
   * Config `response_cache { enable: true }` on a scheduler that may cache (spec §12). The server uses
   * its response cache for this model only when it has one (`--cache-config`); absent = false.
   */
  readonly responseCache?: boolean;
  /** Backend readiness probe (Python `is_ready()`); absent = always ready. */
  isReady?(): Promise<boolean>;
}

/** A claim on a model version: an unload waits until every lease is released. */
export interface ModelLease {
  readonly model: ServedModel;
  release(): void;
}

export const MODEL_STATES = ['UNKNOWN', 'READY', 'UNAVAILABLE', 'LOADING', 'UNLOADING'] as const;
export type ModelState = (typeof MODEL_STATES)[number];

/** One row of the repository index (spec §1.6). */
export interface ModelIndexEntry {
  readonly name: string;
  readonly version?: string;
  readonly state?: ModelState;
  readonly reason?: string;
}

/** Finds models; owned by `repository`. */
export interface ModelResolver {
  /**
   * Lease a READY version. `version` undefined = latest READY version. Throws ServerError NOT_FOUND /
   * UNAVAILABLE with Triton's messages (spec §0).
   */
  acquire(name: string, version: number | undefined): ModelLease;
  /**
   * `--model-load-on-demand` (issue 19): asked when `acquire` failed for an infer request. Returns a
   * lease that settles once the model has loaded (or rejects with the load's error, or CANCELLED when
   * `signal` aborts first), or undefined when on-demand loading does not apply (`acquire`'s error stands).
   */
  acquireOnDemand?(name: string, version: number | undefined, signal: CancelSignal | undefined): Promise<ModelLease> | undefined;
  /** Every READY version, for all-model statistics. */
  readyModels(): readonly ServedModel[];
  index(readyOnly: boolean): readonly ModelIndexEntry[];
  /** True when every known model version is READY (versions unloaded on purpose are tolerated). */
  allModelsReady(): boolean;
  /** Explicit-mode model control (issue #7). Implementations without it throw UNAVAILABLE. */
  load(name: string, parameters: Readonly<Record<string, unknown>>): Promise<void>;
  unload(name: string, parameters: Readonly<Record<string, unknown>>): Promise<void>;
  /** Unload everything, waiting for leases to drain. */
  shutdown(): Promise<void>;
  /** Start-up loading (the repository manager); resolves with the models that failed. Absent = nothing to load. */
  start?(): Promise<readonly string[]>;
}
