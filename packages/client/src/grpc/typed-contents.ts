/**
 * Tensor bytes <-> InferTensorContents (gRPC's typed form, spec §5.3): which field carries which
 * datatype. Used for inputs sent with `binary: false` and for servers answering in typed contents.
 */
import type { DataType, pb } from '@inferd/protocol';
import { decodeBytesTensor, decodeTensorData, encodeTensorData } from '../tensor-data.js';

export function toContents(datatype: DataType, bytes: Uint8Array): pb.InferTensorContentsInit {
  if (datatype === 'BYTES') return { bytes_contents: decodeBytesTensor(bytes) };
  const values = decodeTensorData(datatype, bytes);
  switch (datatype) {
    case 'BOOL':
      return { bool_contents: Array.from(values as Uint8Array, (b) => b !== 0) };
    case 'INT8': case 'INT16': case 'INT32':
      return { int_contents: Array.from(values as Int32Array) };
    case 'UINT8': case 'UINT16': case 'UINT32':
      return { uint_contents: Array.from(values as Uint32Array) };
    case 'INT64':
      return { int64_contents: Array.from(values as BigInt64Array, String) };
    case 'UINT64':
      return { uint64_contents: Array.from(values as BigUint64Array, String) };
    case 'FP32':
      return { fp32_contents: Array.from(values as Float32Array) };
    case 'FP64':
      return { fp64_contents: Array.from(values as Float64Array) };
    default:
      throw new RangeError(`${datatype} has no typed gRPC contents`);
  }
}

/** Typed contents of `datatype` -> tensor bytes. */
export function fromContents(datatype: DataType, c: pb.InferTensorContents): Uint8Array {
  switch (datatype) {
    case 'BYTES':
      return encodeTensorData('BYTES', c.bytes_contents).bytes;
    case 'BOOL':
      return encodeTensorData('BOOL', c.bool_contents).bytes;
    case 'INT8': case 'INT16': case 'INT32':
      return encodeTensorData(datatype, c.int_contents).bytes;
    case 'UINT8': case 'UINT16': case 'UINT32':
      return encodeTensorData(datatype, c.uint_contents).bytes;
    case 'INT64':
      return encodeTensorData(datatype, c.int64_contents.map((s) => BigInt(s))).bytes;
    case 'UINT64':
      return encodeTensorData(datatype, c.uint64_contents.map((s) => BigInt(s))).bytes;
    case 'FP32':
      return encodeTensorData(datatype, c.fp32_contents).bytes;
    case 'FP64':
      return encodeTensorData(datatype, c.fp64_contents).bytes;
    default:
      return new Uint8Array(0);
  }
}
