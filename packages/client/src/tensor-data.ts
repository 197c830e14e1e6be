/**
 * Client-side tensor values <-> the little-endian bytes every protocol carries (binary extension, gRPC raw
 * contents, shared memory). One place so InferInput, InferResult and the shm helper agree.
 */
import {
  TYPED_ARRAYS, decodeBf16, decodeBytesElements, decodeFp16, elementByteSize, encodeBf16, encodeBytesElements,
  encodeFp16, isDataType, typedBytes, typedView, type DataType, type NumericArray,
} from '@inferd/protocol';
import { InferenceServerError, GRPC_CODE } from './errors.js';

/** What `InferInput.setData` accepts. */
export type TensorData = NumericArray | readonly number[] | readonly bigint[] | readonly boolean[] | readonly string[] | readonly Uint8Array[];

function invalid(message: string): InferenceServerError {
  return new InferenceServerError(message, { code: GRPC_CODE.INVALID_ARGUMENT });
}

export function checkDataType(datatype: string): DataType {
  if (!isDataType(datatype)) throw invalid(`unknown datatype '${datatype}'`);
  return datatype;
}

function isTypedArray(data: TensorData): data is NumericArray {
  return ArrayBuffer.isView(data);
}

/**
 * Values of `datatype` -> tensor bytes. Typed arrays of the datatype's own kind are used as they are (no
 * copy); plain arrays and other typed arrays are converted. FP16/BF16 take numbers (or their raw uint16 bits
 * as a Uint16Array). Returns the element count alongside for shape checks.
 */
export function encodeTensorData(datatype: DataType, data: TensorData): { bytes: Uint8Array; count: number } {
  if (datatype === 'BYTES') {
    if (isTypedArray(data)) {
      throw invalid('BYTES data must be an array of strings or Uint8Arrays');
    }
    const elements = (data as readonly unknown[]).map((e) => {
      if (typeof e === 'string' || e instanceof Uint8Array) return e;
      throw invalid(`BYTES elements must be strings or Uint8Arrays, got ${typeof e}`);
    });
    return { bytes: encodeBytesElements(elements), count: elements.length };
  }
  if (!isTypedArray(data) && (data as readonly unknown[]).some((e) => typeof e === 'string' || e instanceof Uint8Array)) {
    throw invalid(`${datatype} data must be numbers, bigints or booleans`);
  }
  if (datatype === 'FP16' || datatype === 'BF16') {
    if (data instanceof Uint16Array) return { bytes: typedBytes(data), count: data.length };
    const values = Array.from(data as ArrayLike<number | bigint | boolean>, Number);
    return { bytes: datatype === 'FP16' ? encodeFp16(values) : encodeBf16(values), count: values.length };
  }
  const ctor = TYPED_ARRAYS[datatype];
  if (isTypedArray(data) && data.constructor === ctor) return { bytes: typedBytes(data), count: data.length };
  const big = datatype === 'INT64' || datatype === 'UINT64';
  const out = new ctor(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = (data as ArrayLike<number | bigint | boolean>)[i]!;
    if (big) (out as BigInt64Array)[i] = typeof v === 'bigint' ? v : BigInt(Number(v));
    else (out as Float64Array)[i] = Number(v);
  }
  return { bytes: typedBytes(out), count: out.length };
}

/**
 * Tensor bytes -> a typed array: the datatype's own array (BOOL as 0/1 bytes, INT64/UINT64 as bigint
 * arrays); FP16/BF16 widened to Float32Array since JavaScript has no 16-bit float array.
 */
export function decodeTensorData(datatype: DataType, bytes: Uint8Array): NumericArray {
  if (datatype === 'BYTES') throw invalid('BYTES tensors have no typed array: use asStrings() or asBytes()');
  if (bytes.byteLength % elementByteSize(datatype) !== 0) {
    throw invalid(`${bytes.byteLength} bytes is not a whole number of ${datatype} elements`);
  }
  if (datatype === 'FP16') return decodeFp16(bytes);
  if (datatype === 'BF16') return decodeBf16(bytes);
  return typedView(bytes, TYPED_ARRAYS[datatype]);
}

/** Length-prefixed BYTES tensor bytes -> its elements (views, no copies). */
export function decodeBytesTensor(bytes: Uint8Array): Uint8Array[] {
  try {
    return decodeBytesElements(bytes);
  } catch (err) {
    throw invalid(`malformed BYTES tensor: ${(err as Error).message}`);
  }
}

/** Product of the dims of a shape. */
export function shapeElements(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
