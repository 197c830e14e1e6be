/**
 * Which `InferTensorContents` field (gRPC's typed tensor form, spec §0 and §5.3) carries each datatype.
 * Server and client both read this one table: the server to check a request's typed inputs, the client
 * to build and read them. FP16 and BF16 have no field (raw bytes only).
 */
import type { DataType } from './datatypes.js';
import type { InferTensorContents } from './generated/proto-types.js';

export type GrpcContentsField = keyof InferTensorContents;

export interface GrpcContentsEntry {
  readonly field: GrpcContentsField;
  /** The datatypes this field may carry; 8- and 16-bit integers ride in the 32-bit fields. */
  readonly datatypes: readonly DataType[];
  /** The datatype the field's values are, read on their own (named in Triton's mismatch error). */
  readonly widest: DataType;
}

/** In Triton's order of checking (the first populated field in this order is the one reported). */
export const GRPC_CONTENTS_FIELDS: readonly GrpcContentsEntry[] = [
  { field: 'bool_contents', datatypes: ['BOOL'], widest: 'BOOL' },
  { field: 'int_contents', datatypes: ['INT8', 'INT16', 'INT32'], widest: 'INT32' },
  { field: 'int64_contents', datatypes: ['INT64'], widest: 'INT64' },
  { field: 'uint_contents', datatypes: ['UINT8', 'UINT16', 'UINT32'], widest: 'UINT32' },
  { field: 'uint64_contents', datatypes: ['UINT64'], widest: 'UINT64' },
  { field: 'fp32_contents', datatypes: ['FP32'], widest: 'FP32' },
  { field: 'fp64_contents', datatypes: ['FP64'], widest: 'FP64' },
  { field: 'bytes_contents', datatypes: ['BYTES'], widest: 'BYTES' },
];

const byDataType = new Map<DataType, GrpcContentsField>(
  GRPC_CONTENTS_FIELDS.flatMap((e) => e.datatypes.map((d) => [d, e.field] as const)),
);

/** The typed-contents field for `datatype`; undefined for FP16 and BF16. */
export function grpcContentsField(datatype: DataType): GrpcContentsField | undefined {
  return byDataType.get(datatype);
}
