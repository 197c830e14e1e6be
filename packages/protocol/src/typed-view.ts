/**
 * Little-endian tensor bytes <-> TypedArrays. A view is used when the bytes are aligned (no copy);
 * unaligned bytes (e.g. a blob at an odd offset of an HTTP body) are copied once.
 */
import type { DataType } from './datatypes.js';

export type NumericArray =
  | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array
  | BigUint64Array | BigInt64Array | Float32Array | Float64Array;

interface TypedCtor<T> {
  readonly BYTES_PER_ELEMENT: number;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  new (length: number): T;
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** TypedArray constructor per fixed-size datatype (BOOL as bytes; FP16/BF16 as raw uint16 bits). */
export const TYPED_ARRAYS: Readonly<Record<Exclude<DataType, 'BYTES'>, TypedCtor<NumericArray>>> = {
  BOOL: Uint8Array,
  UINT8: Uint8Array,
  UINT16: Uint16Array,
  UINT32: Uint32Array,
  UINT64: BigUint64Array,
  INT8: Int8Array,
  INT16: Int16Array,
  INT32: Int32Array,
  INT64: BigInt64Array,
  FP16: Uint16Array,
  FP32: Float32Array,
  FP64: Float64Array,
  BF16: Uint16Array,
};

function swapped(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(bytes.byteLength);
  for (let i = 0; i < bytes.byteLength; i += size) {
    for (let j = 0; j < size; j++) out[i + j] = bytes[i + size - 1 - j]!;
  }
  return out;
}

/** A TypedArray over little-endian tensor bytes; `bytes.byteLength` must be a multiple of the element size. */
export function typedView<T extends NumericArray>(bytes: Uint8Array, ctor: TypedCtor<T>): T {
  const size = ctor.BYTES_PER_ELEMENT;
  const count = bytes.byteLength / size;
  if (!Number.isInteger(count)) throw new RangeError(`${bytes.byteLength} bytes is not a whole number of ${size}-byte elements`);
  if (size > 1 && !littleEndian) {
    const copy = swapped(bytes, size);
    return new ctor(copy.buffer, 0, count);
  }
  if (bytes.byteOffset % size === 0) return new ctor(bytes.buffer, bytes.byteOffset, count);
  // Not `bytes.slice()`: on a Node Buffer that is a view, not a copy.
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new ctor(copy.buffer, 0, count);
}

/** The little-endian bytes of a TypedArray (a view on little-endian hosts). */
export function typedBytes(array: NumericArray): Uint8Array {
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  return littleEndian || array.BYTES_PER_ELEMENT === 1 ? bytes : swapped(bytes, array.BYTES_PER_ELEMENT);
}
