/**
 * `InferTensorContents` (typed gRPC tensor data) -> little-endian tensor bytes, with Triton's rules:
 * the populated field must be the one for the input's datatype (INT8/INT16 in int_contents,
 * UINT8/UINT16 in uint_contents, no field for FP16/BF16), and only one field may be populated.
 */
import {
  GRPC_CONTENTS_FIELDS, encodeBytesElements, typedBytes, type DataType, type NumericArray, type pb,
} from '@inferd/protocol';
import { ServerError } from '../../core/index.js';

function encode(datatype: DataType, values: readonly unknown[]): Uint8Array {
  let array: NumericArray;
  switch (datatype) {
    case 'BOOL': return Uint8Array.from(values as boolean[], (b) => (b ? 1 : 0));
    case 'INT8': array = Int8Array.from(values as number[]); break;
    case 'INT16': array = Int16Array.from(values as number[]); break;
    case 'INT32': array = Int32Array.from(values as number[]); break;
    case 'UINT8': array = Uint8Array.from(values as number[]); break;
    case 'UINT16': array = Uint16Array.from(values as number[]); break;
    case 'UINT32': array = Uint32Array.from(values as number[]); break;
    case 'INT64': array = BigInt64Array.from(values as string[], (v) => BigInt(v)); break;
    case 'UINT64': array = BigUint64Array.from(values as string[], (v) => BigInt(v)); break;
    case 'FP32': array = Float32Array.from(values as number[]); break;
    case 'FP64': array = Float64Array.from(values as number[]); break;
    case 'BYTES': return encodeBytesElements(values as Uint8Array[]);
    default: throw new Error(`no typed contents for ${datatype}`);
  }
  return typedBytes(array);
}

export function contentsToBytes(name: string, model: string, datatype: DataType, contents: pb.InferTensorContents): Uint8Array {
  let data: Uint8Array | undefined;
  for (const { field, datatypes, widest } of GRPC_CONTENTS_FIELDS) {
    const values = contents[field] as readonly unknown[];
    if (values.length === 0) continue;
    if (data !== undefined && data.byteLength !== 0) {
      throw ServerError.invalidArg(
        `unexpected explicit tensor data for input tensor '${name}' for model '${model}', binary data was already supplied.`,
      );
    }
    const carried = datatypes.includes(datatype) ? datatype : widest;
    if (carried !== datatype) {
      throw ServerError.invalidArg(
        `unexpected explicit tensor data for input tensor '${name}' for model '${model}' of type '${carried}', ` +
          `expected datatype '${datatype}'`,
      );
    }
    data = encode(datatype, values);
  }
  return data ?? new Uint8Array(0);
}
