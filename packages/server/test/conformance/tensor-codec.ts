/**
 * Element lists <-> tensor bytes for both transports, through @inferd/protocol's own converters, so
 * HTTP (binary extension) and gRPC (raw contents) carry exactly the same bytes for a scenario.
 */
import { elementCount, isDataType, jsonDataToBytes, tensorToJsonValues, type JsonElement } from '@inferd/protocol';
import type { TensorIn } from './transport.js';

export function tensorBytes(t: TensorIn): Uint8Array {
  // 64-bit integers may be given as bigint; the JSON converter reads them from decimal strings.
  const data = t.data.map((v) => (typeof v === 'bigint' ? v.toString() : v));
  const count = t.datatype === 'BYTES' ? t.data.length : elementCount(t.shape);
  return jsonDataToBytes(t.name, t.datatype, data, count);
}

/** Output bytes -> elements; 64-bit integers as decimal strings so expected values are plain JSON. */
export function tensorValues(name: string, datatype: string, shape: readonly number[], bytes: Uint8Array): JsonElement[] {
  if (!isDataType(datatype)) throw new Error(`unknown datatype ${datatype} in the response`);
  return tensorToJsonValues(name, datatype, bytes, elementCount(shape)).map((v) => (typeof v === 'bigint' ? v.toString() : v));
}
