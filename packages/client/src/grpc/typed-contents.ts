/**
 * Tensor bytes <-> InferTensorContents (gRPC's typed form, spec §5.3): which field carries which
 * datatype. Used for inputs sent with `binary: false` and for servers answering in typed contents.
 */
import { grpcContentsField, type DataType, type pb } from '@inferd/protocol';
import { decodeBytesTensor, decodeTensorData, encodeTensorData } from '../tensor-data.js';

export function toContents(datatype: DataType, bytes: Uint8Array): pb.InferTensorContentsInit {
  const field = grpcContentsField(datatype);
  if (field === undefined) throw new RangeError(`${datatype} has no typed gRPC contents`);
  if (field === 'bytes_contents') return { bytes_contents: decodeBytesTensor(bytes) };
  const values = decodeTensorData(datatype, bytes);
  if (field === 'bool_contents') return { bool_contents: Array.from(values as Uint8Array, (b) => b !== 0) };
  // 64-bit integers travel as decimal strings (proto-loader's longs: String), never through a lossy number.
  if (field === 'int64_contents' || field === 'uint64_contents') {
    return { [field]: Array.from(values as BigInt64Array | BigUint64Array, String) };
  }
  return { [field]: Array.from(values as ArrayLike<number>) };
}

/** Typed contents of `datatype` -> tensor bytes (empty for FP16/BF16, which have no typed field). */
export function fromContents(datatype: DataType, c: pb.InferTensorContents): Uint8Array {
  const field = grpcContentsField(datatype);
  if (field === undefined) return new Uint8Array(0);
  if (field === 'int64_contents' || field === 'uint64_contents') {
    return encodeTensorData(datatype, c[field].map((s) => BigInt(s))).bytes;
  }
  return encodeTensorData(datatype, c[field]).bytes;
}
