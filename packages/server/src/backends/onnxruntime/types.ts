/**
 * Shared vocabulary of the ONNX Runtime backend: datatype mapping between Triton (protocol and config
 * names) and onnxruntime-node tensor types, and the messages exchanged with the pool threads.
 * No onnxruntime import here, so the main thread can use it without loading the native addon.
 */
import type { DataType } from '@inferd/protocol';
import type { ConfigDataType } from '../../config/types.js';

/** onnxruntime-node `Tensor.Type` strings this backend can feed and fetch. */
export type OrtType =
  | 'bool' | 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'uint64' | 'int64'
  | 'float16' | 'float32' | 'float64' | 'string';

const ORT_BY_PROTOCOL: Readonly<Partial<Record<DataType, OrtType>>> = {
  BOOL: 'bool', UINT8: 'uint8', INT8: 'int8', UINT16: 'uint16', INT16: 'int16', UINT32: 'uint32', INT32: 'int32',
  UINT64: 'uint64', INT64: 'int64', FP16: 'float16', FP32: 'float32', FP64: 'float64', BYTES: 'string',
};

const PROTOCOL_BY_ORT: Readonly<Record<OrtType, DataType>> = {
  bool: 'BOOL', uint8: 'UINT8', int8: 'INT8', uint16: 'UINT16', int16: 'INT16', uint32: 'UINT32', int32: 'INT32',
  uint64: 'UINT64', int64: 'INT64', float16: 'FP16', float32: 'FP32', float64: 'FP64', string: 'BYTES',
};

/** `FP32` -> `float32`; undefined for BF16 (onnxruntime-node has no bfloat16 tensors). */
export function ortTypeOf(datatype: DataType): OrtType | undefined {
  return ORT_BY_PROTOCOL[datatype];
}

/** `float32` -> `FP32`; undefined for ORT types Triton has no datatype for (int4, float8...). */
export function protocolTypeOfOrt(type: string): DataType | undefined {
  return Object.hasOwn(PROTOCOL_BY_ORT, type) ? PROTOCOL_BY_ORT[type as OrtType] : undefined;
}

/** `float32` -> `TYPE_FP32` (BYTES is `TYPE_STRING`); `TYPE_INVALID` when unmapped. */
export function configTypeOfOrt(type: string): ConfigDataType {
  const dt = protocolTypeOfOrt(type);
  if (dt === undefined) return 'TYPE_INVALID';
  return dt === 'BYTES' ? 'TYPE_STRING' : (`TYPE_${dt}` as ConfigDataType);
}

/** Bytes per element of a numeric ORT type (BOOL is one byte, FP16 two). */
export function ortElementSize(type: Exclude<OrtType, 'string'>): number {
  switch (type) {
    case 'bool': case 'uint8': case 'int8': return 1;
    case 'uint16': case 'int16': case 'float16': return 2;
    case 'uint32': case 'int32': case 'float32': return 4;
    case 'uint64': case 'int64': case 'float64': return 8;
  }
}

/** One model input or output as the session reports it. Symbolic or unknown dims become -1. */
export interface IoInfo {
  readonly name: string;
  /** False for sequence/map/optional values, which Triton cannot serve. */
  readonly isTensor: boolean;
  /** ORT type string (`float32`...), '' for non-tensors. */
  readonly type: string;
  readonly dims: readonly number[];
}

export interface SessionMetadata {
  readonly inputs: readonly IoInfo[];
  readonly outputs: readonly IoInfo[];
}

/**
 * A tensor crossing the thread boundary. Numeric data is the little-endian element bytes; `string`
 * tensors carry Triton's BYTES layout (uint32-LE length prefix per element), so the thread running the
 * session does the UTF-8 work (the main thread builds JS strings only for models it runs inline).
 */
export interface WireTensor {
  readonly name: string;
  readonly type: OrtType;
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

/** Plain (structured-cloneable) subset of onnxruntime-node SessionOptions that we set. */
export interface WorkerSessionOptions {
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  executionMode?: 'sequential' | 'parallel';
  enableCpuMemArena?: boolean;
  enableMemPattern?: boolean;
}

/** Identifies one session inside a pool thread. */
export type SessionId = number;

export type HostToWorker =
  /** Create a session and answer with its signature. */
  | {
    readonly kind: 'load';
    readonly id: number;
    readonly session: SessionId;
    readonly modelPath: string;
    readonly options: WorkerSessionOptions;
  }
  /** Open the model just long enough to read its signature (auto-complete, validation). */
  | { readonly kind: 'metadata'; readonly id: number; readonly modelPath: string }
  | {
    readonly kind: 'run';
    readonly id: number;
    readonly session: SessionId;
    readonly feeds: readonly WireTensor[];
    readonly fetches: readonly string[];
  }
  /** Release one session (model unloaded); answered with `done`. */
  | { readonly kind: 'release'; readonly id: number; readonly session: SessionId }
  /** Release every session and end the thread (after the messages already queued). */
  | { readonly kind: 'close' };

export type WorkerToHost =
  | { readonly kind: 'loaded'; readonly id: number; readonly metadata: SessionMetadata }
  /** `runUs`: how long `session.run` itself took in the thread (the inline policy reads it). */
  /** `spares`: the run's large input buffers, moved back for the main thread to reuse (core spare-buffers.ts). */
  | { readonly kind: 'result'; readonly id: number; readonly outputs: readonly WireTensor[]; readonly runUs: number; readonly spares?: ArrayBuffer[] }
  | { readonly kind: 'done'; readonly id: number }
  | { readonly kind: 'failed'; readonly id: number; readonly message: string };
