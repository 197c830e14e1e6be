/**
 * The backend contract: what a runtime (built-in, or a plug-in module from --backend-directory) exports.
 * A backend module's default export (or named export `backend`) is a `Backend`.
 */
import type { ExecutionInstance, ModelInvoker, ModelSpec } from '../core/index.js';
import type { ModelConfig } from '../config/types.js';

/** Logger handed to backends; lines end up in the server log with the backend's name. */
export interface BackendLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  verbose(level: number, message: string): void;
}

export interface BackendModelContext {
  /** Absolute path of `<repo>/<model>`. */
  readonly modelDir: string;
  /** Absolute path of `<repo>/<model>/<version>`. */
  readonly versionDir: string;
  readonly version: number;
  /** The model's file inside the version dir (default_model_filename resolved); may not exist. */
  readonly modelPath: string;
  /** The config as read from disk (before backend auto-complete) or already completed. */
  readonly config: ModelConfig;
  /** `--backend-config=<this backend>,k=v` merged over global `k=v` entries. */
  readonly backendConfig: Readonly<Record<string, string>>;
  readonly log: BackendLogger;
  /** Runs other models of this server in-process (Python BLS). Usable once the server has started. */
  readonly invoker: ModelInvoker;
  /** The server's metrics endpoint, for a backend's own families (Python `MetricFamily`); absent = metrics off. */
  readonly metrics?: BackendMetrics;
}

/** One sample line of a backend family; `metricName` for a histogram's `_bucket`/`_sum`/`_count` lines. */
export interface BackendMetricSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly metricName?: string;
}

/** A family rendered at scrape time: `get()` returns its current samples (a prom-client custom collector). */
export interface BackendMetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  get(): Promise<{ name: string; help: string; type: string; values: BackendMetricSample[]; aggregator: 'sum' }>;
}

/** What a backend sees of the metrics registry. `addFamily` throws when the name is taken. */
export interface BackendMetrics {
  addFamily(family: BackendMetricFamily): void;
  removeFamily(name: string): void;
}

export interface BackendInstanceContext {
  /** e.g. `simple_0_1` (group name, group index is implied, instance index). */
  readonly name: string;
  readonly kind: 'KIND_CPU' | 'KIND_GPU' | 'KIND_MODEL' | 'KIND_AUTO';
  /** CUDA device id among the server's visible GPUs (KIND_GPU), else 0. */
  readonly deviceId: number;
  /** KIND_GPU: the GPU's UUID (what a child process's CUDA_VISIBLE_DEVICES pins it to). */
  readonly gpuUuid?: string;
  /** Final (normalized, auto-completed) config and the spec core validates against. */
  readonly config: ModelConfig;
  readonly spec: ModelSpec;
}

export interface BackendModel {
  /**
   * Fill what the config leaves out (inputs, outputs, max_batch_size...) from the model file. Called
   * only when auto-complete is enabled. Returns a new config; never mutates its argument.
   */
  autoComplete?(config: ModelConfig): Promise<ModelConfig>;
  createInstance(ctx: BackendInstanceContext): Promise<ExecutionInstance>;
  /** Backend readiness probe (Python `is_ready()`); absent = ready. */
  isReady?(): Promise<boolean>;
  dispose(): Promise<void>;
}

export interface Backend {
  /** The `backend` name in config.pbtxt, e.g. `onnxruntime`. */
  readonly name: string;
  createModel(ctx: BackendModelContext): Promise<BackendModel>;
}
