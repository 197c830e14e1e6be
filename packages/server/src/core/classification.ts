/**
 * Classification extension (spec §3): an output becomes a BYTES tensor of "value:index[:label]" strings,
 * top-k per batch item, values printed like C++ std::to_string (6 decimals for floats).
 */
import { encodeBytesElements, elementCount, type DataType } from '@inferd/protocol';
import { ServerError } from './errors.js';
import type { Tensor } from './tensor.js';

const MAX_ELEMENTS = 1_000_000;

type Reader = (view: DataView, index: number) => number | bigint;

const readers: Partial<Record<DataType, { size: number; read: Reader; float: boolean }>> = {
  UINT8: { size: 1, read: (v, i) => v.getUint8(i), float: false },
  UINT16: { size: 2, read: (v, i) => v.getUint16(i * 2, true), float: false },
  UINT32: { size: 4, read: (v, i) => v.getUint32(i * 4, true), float: false },
  UINT64: { size: 8, read: (v, i) => v.getBigUint64(i * 8, true), float: false },
  INT8: { size: 1, read: (v, i) => v.getInt8(i), float: false },
  INT16: { size: 2, read: (v, i) => v.getInt16(i * 2, true), float: false },
  INT32: { size: 4, read: (v, i) => v.getInt32(i * 4, true), float: false },
  INT64: { size: 8, read: (v, i) => v.getBigInt64(i * 8, true), float: false },
  FP32: { size: 4, read: (v, i) => v.getFloat32(i * 4, true), float: true },
  FP64: { size: 8, read: (v, i) => v.getFloat64(i * 8, true), float: true },
};

export function classify(
  tensor: Tensor,
  count: number,
  batching: boolean,
  labels: readonly string[] | undefined,
): Tensor {
  const r = readers[tensor.datatype];
  if (r === undefined) {
    throw ServerError.invalidArg(`class result not available for output due to unsupported type '${tensor.datatype}'`);
  }
  const total = elementCount(tensor.shape);
  if (total > MAX_ELEMENTS) {
    // Triton's text (its qa test class_count_test.py looks for it); the limit bounds the sort's memory.
    throw ServerError.invalidArg('classification output tensor too large');
  }
  const batch = batching ? (tensor.shape[0] ?? 1) : 1;
  const perItem = batch === 0 ? 0 : total / batch;
  const k = Math.min(count, perItem);
  const view = new DataView(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  const out: string[] = [];
  for (let b = 0; b < batch; b++) {
    const base = b * perItem;
    const idx = Array.from({ length: perItem }, (_, i) => i);
    const values = idx.map((i) => r.read(view, base + i));
    // Stable sort: ties keep index order, which makes the result deterministic.
    idx.sort((x, y) => {
      const a = values[x]!;
      const c = values[y]!;
      return a > c ? -1 : a < c ? 1 : 0;
    });
    for (let j = 0; j < k; j++) {
      const i = idx[j]!;
      const v = values[i]!;
      const text = r.float ? (v as number).toFixed(6) : String(v);
      const label = labels?.[i];
      out.push(label ? `${text}:${i}:${label}` : `${text}:${i}`);
    }
  }
  return {
    name: tensor.name,
    datatype: 'BYTES',
    shape: batching ? [batch, k] : [k],
    data: encodeBytesElements(out),
  };
}
