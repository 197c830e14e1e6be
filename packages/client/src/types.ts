/** Options and answer shapes shared by HttpClient and GrpcClient (both return the same shapes). */
import type { InferInput } from './infer-input.js';
import type { InferResult } from './infer-result.js';
import type { InferRequestedOutput } from './requested-output.js';

/** Per-call options of every client method. */
export interface CallOptions {
  /** Extra HTTP headers / gRPC metadata. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Aborts the call; it then rejects with an InferenceServerError whose `aborted` is true. */
  readonly signal?: AbortSignal;
  /** Client-side deadline in ms (gRPC: the call deadline); rejects with `timedOut` true. */
  readonly timeoutMs?: number;
}

export type ParameterValue = string | number | boolean | bigint;

export interface InferOptions extends CallOptions {
  /** Outputs to return (default: all outputs, binary). */
  readonly outputs?: readonly InferRequestedOutput[];
  readonly requestId?: string;
  /** Model version (default: the latest ready one). */
  readonly version?: string | number;
  /** Correlation id of a sequence (0 / '' = none); sequenceStart/sequenceEnd are sent whenever it is set. */
  readonly sequenceId?: number | bigint | string;
  readonly sequenceStart?: boolean;
  readonly sequenceEnd?: boolean;
  /** Scheduling priority (1 = highest; 0 = the model's default). */
  readonly priority?: number;
  /** Server-side queue timeout in microseconds (dynamic batcher queue policy). */
  readonly timeout?: number;
  /** Request parameters passed to the model. */
  readonly parameters?: Readonly<Record<string, ParameterValue>>;
  /** HTTP only: compress the request body and ask for a compressed response. */
  readonly compression?: 'gzip' | 'deflate';
}

export interface ServerMetadata {
  readonly name: string;
  readonly version: string;
  readonly extensions: string[];
}

export interface TensorMetadata {
  readonly name: string;
  readonly datatype: string;
  readonly shape: number[];
}

export interface ModelMetadata {
  readonly name: string;
  readonly versions: string[];
  readonly platform: string;
  readonly inputs: TensorMetadata[];
  readonly outputs: TensorMetadata[];
}

export interface RepositoryModel {
  readonly name: string;
  readonly version?: string;
  readonly state?: string;
  readonly reason?: string;
}

export interface LoadModelOptions extends CallOptions {
  /** A ModelConfig (object or JSON text) that replaces config.pbtxt. */
  readonly config?: string | Readonly<Record<string, unknown>>;
  /** `file:<version>/<path>` overrides: path (e.g. `1/model.onnx`) -> contents; needs `config`. */
  readonly files?: Readonly<Record<string, Uint8Array>>;
}

export interface UnloadModelOptions extends CallOptions {
  readonly unloadDependents?: boolean;
}

export interface SharedMemoryRegionStatus {
  readonly name: string;
  readonly key: string;
  readonly offset: number;
  readonly byte_size: number;
}

export interface StatisticDuration {
  readonly count: number;
  readonly ns: number;
}

/** One entry of `model_stats` (Triton's JSON shape; gRPC 64-bit counters converted to numbers). */
export interface ModelStatistics {
  readonly name: string;
  readonly version: string;
  readonly last_inference: number;
  readonly inference_count: number;
  readonly execution_count: number;
  readonly inference_stats: Readonly<Record<string, StatisticDuration>>;
  readonly batch_stats: ReadonlyArray<{ readonly batch_size: number } & Readonly<Record<string, StatisticDuration | number>>>;
  readonly response_stats?: Readonly<Record<string, Readonly<Record<string, StatisticDuration>>>>;
  readonly memory_usage?: ReadonlyArray<{ readonly type: string; readonly id: number; readonly byte_size: number }>;
}

export interface InferenceStatistics {
  readonly model_stats: ModelStatistics[];
}

/** Trace settings: every value a list of strings on gRPC; HTTP gives strings (trace_level a list). */
export type TraceSettings = Record<string, string | string[]>;
/** Trace update: values to set, `null` to revert a model's setting to the global one. */
export type TraceSettingsUpdate = Record<string, string | number | string[] | null>;
export type LogSettings = Record<string, string | number | boolean>;

/** The methods HttpClient and GrpcClient share (what a protocol-agnostic caller such as inferd-perf needs). */
export interface InferenceClient {
  isServerLive(options?: CallOptions): Promise<boolean>;
  isServerReady(options?: CallOptions): Promise<boolean>;
  isModelReady(model: string, version?: string | number, options?: CallOptions): Promise<boolean>;
  getServerMetadata(options?: CallOptions): Promise<ServerMetadata>;
  getModelMetadata(model: string, version?: string | number, options?: CallOptions): Promise<ModelMetadata>;
  getModelConfig(model: string, version?: string | number, options?: CallOptions): Promise<Record<string, unknown>>;
  getInferenceStatistics(model?: string, version?: string | number, options?: CallOptions): Promise<InferenceStatistics>;
  getModelRepositoryIndex(options?: CallOptions & { readonly ready?: boolean }): Promise<RepositoryModel[]>;
  loadModel(model: string, options?: LoadModelOptions): Promise<void>;
  unloadModel(model: string, options?: UnloadModelOptions): Promise<void>;
  getSystemSharedMemoryStatus(region?: string, options?: CallOptions): Promise<SharedMemoryRegionStatus[]>;
  registerSystemSharedMemory(name: string, key: string, byteSize: number, offset?: number, options?: CallOptions): Promise<void>;
  unregisterSystemSharedMemory(name?: string, options?: CallOptions): Promise<void>;
  getTraceSettings(model?: string, options?: CallOptions): Promise<TraceSettings>;
  updateTraceSettings(settings: TraceSettingsUpdate, model?: string, options?: CallOptions): Promise<TraceSettings>;
  getLogSettings(options?: CallOptions): Promise<LogSettings>;
  updateLogSettings(settings: LogSettings, options?: CallOptions): Promise<LogSettings>;
  infer(model: string, inputs: readonly InferInput[], options?: InferOptions): Promise<InferResult>;
  close(): void;
}
