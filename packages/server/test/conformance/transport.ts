/**
 * The transport-neutral view the conformance table is written against: every scenario talks to a
 * `Transport`, so the same table runs over HTTP and over gRPC. Values come back normalised (shapes as
 * numbers, tensors as plain element lists) so one expected value fits both wire formats.
 */
import type { DataType, JsonElement } from '@inferd/protocol';

export type TransportName = 'http' | 'grpc';

export interface TensorIn {
  readonly name: string;
  readonly datatype: DataType;
  readonly shape: readonly number[];
  /** Elements in row-major order (INT64/UINT64 as bigint or decimal strings, BYTES as strings). */
  readonly data: readonly JsonElement[];
}

export interface OutputRequest {
  readonly name: string;
  readonly classification?: number;
}

export interface InferCall {
  readonly model: string;
  readonly version?: string;
  readonly id?: string;
  readonly inputs: readonly TensorIn[];
  readonly outputs?: readonly OutputRequest[];
  readonly parameters?: Readonly<Record<string, string | number | boolean>>;
}

export interface TensorOut {
  readonly name: string;
  readonly datatype: string;
  readonly shape: number[];
  /** Elements decoded with the datatype (64-bit integers as decimal strings, BYTES as UTF-8 text). */
  readonly data: JsonElement[];
}

export interface InferResult {
  readonly model_name: string;
  readonly model_version: string;
  readonly id: string;
  readonly outputs: TensorOut[];
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

export interface IndexEntry {
  readonly name: string;
  readonly version: string;
  readonly state: string;
}

/** The counters of one model version's statistics that known traffic determines exactly. */
export interface StatsCounters {
  readonly name: string;
  readonly version: string;
  readonly inference_count: number;
  readonly execution_count: number;
  readonly success: number;
  readonly fail: number;
}

/** What a failed call reports: Triton's message and the transport's own status (HTTP status or gRPC code). */
export class TransportError extends Error {
  readonly status: number;

  constructor(message: string, status: number) {
    super(message);
    this.name = 'TransportError';
    this.status = status;
  }
}

export interface Transport {
  readonly name: TransportName;
  live(): Promise<boolean>;
  ready(): Promise<boolean>;
  modelReady(model: string, version?: string): Promise<boolean>;
  metadata(model: string, version?: string): Promise<ModelMetadata>;
  /** The model configuration as a plain object in protobuf JSON form (field names as in the proto). */
  config(model: string, version?: string): Promise<Record<string, unknown>>;
  infer(call: InferCall): Promise<InferResult>;
  /** Decoupled streaming (gRPC ModelStreamInfer): every response of one request; absent on HTTP. */
  readonly stream?: (call: InferCall) => Promise<InferResult[]>;
  index(): Promise<IndexEntry[]>;
  stats(model: string, version?: string): Promise<StatsCounters[]>;
  close(): Promise<void>;
}
