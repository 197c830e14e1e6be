/**
 * Converting between wire tensors (bytes + type + dims) and onnxruntime-node tensors. Used by the pool
 * threads and by sessions run inline on the main thread; the caller passes the `Tensor` class of the
 * onnxruntime-node it loaded, so this module imports nothing at run time.
 */
import type * as ort from 'onnxruntime-node';
import { decodeBytesElements, encodeBytesElements } from '@inferd/protocol';
import { ortElementSize, type OrtType, type WireTensor } from './types.js';

type NumericOrtType = Exclude<OrtType, 'string'>;
type TypedArrayCtor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => ort.Tensor.DataType;
export type TensorClass = typeof ort.Tensor;

const VIEWS: Readonly<Record<NumericOrtType, TypedArrayCtor>> = {
  bool: Uint8Array, uint8: Uint8Array, int8: Int8Array, uint16: Uint16Array, int16: Int16Array, float16: Uint16Array,
  uint32: Uint32Array, int32: Int32Array, float32: Float32Array, uint64: BigUint64Array, int64: BigInt64Array,
  float64: Float64Array,
};

const strict = new TextDecoder('utf-8', { fatal: true });

export function toOrt(Tensor: TensorClass, t: WireTensor): ort.Tensor {
  if (t.type === 'string') {
    const strings = decodeBytesElements(t.data).map((e) => strict.decode(e));
    return new Tensor('string', strings, t.dims);
  }
  const size = ortElementSize(t.type);
  let data = t.data;
  // TypedArray views need aligned offsets. Posted feeds start at offset 0; inline feeds may be views into
  // a request body at any offset, and are copied only then (`new Uint8Array(view)` copies; a Buffer's
  // `slice()` would not).
  if (data.byteOffset % size !== 0) data = new Uint8Array(data);
  const view = new VIEWS[t.type](data.buffer, data.byteOffset, data.byteLength / size);
  return new Tensor(t.type, view as never, t.dims);
}

export function fromOrt(name: string, tensor: ort.Tensor): WireTensor {
  const type = tensor.type as OrtType;
  if (type === 'string') {
    return { name, type, dims: tensor.dims, data: encodeBytesElements(tensor.data as string[]) };
  }
  const data = tensor.data as ArrayBufferView;
  return { name, type, dims: tensor.dims, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** Run errors go back to the client in the response; ORT's own stderr copy of them is noise. */
export const RUN_OPTIONS = { logSeverityLevel: 4 } as const;

/** An error's message as the response carries it. */
export function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).trimEnd();
}
