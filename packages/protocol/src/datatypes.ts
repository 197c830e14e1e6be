/**
 * The KServe v2 / Triton datatype table: protocol name, config enum name, element size and the
 * TypedArray that views it. One table, used by server and clients alike.
 */

export const DATATYPES = [
  'BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64',
  'FP16', 'FP32', 'FP64', 'BYTES', 'BF16',
] as const;

export type DataType = (typeof DATATYPES)[number];

export interface DataTypeInfo {
  /** Protocol name, e.g. `FP32`. */
  readonly name: DataType;
  /** model_config.proto enum name, e.g. `TYPE_FP32` (BYTES is `TYPE_STRING`). */
  readonly configName: string;
  /** model_config.proto enum value. */
  readonly configValue: number;
  /** Bytes per element; 0 for BYTES (variable length). */
  readonly byteSize: number;
}

const table: Record<DataType, DataTypeInfo> = {
  BOOL: { name: 'BOOL', configName: 'TYPE_BOOL', configValue: 1, byteSize: 1 },
  UINT8: { name: 'UINT8', configName: 'TYPE_UINT8', configValue: 2, byteSize: 1 },
  UINT16: { name: 'UINT16', configName: 'TYPE_UINT16', configValue: 3, byteSize: 2 },
  UINT32: { name: 'UINT32', configName: 'TYPE_UINT32', configValue: 4, byteSize: 4 },
  UINT64: { name: 'UINT64', configName: 'TYPE_UINT64', configValue: 5, byteSize: 8 },
  INT8: { name: 'INT8', configName: 'TYPE_INT8', configValue: 6, byteSize: 1 },
  INT16: { name: 'INT16', configName: 'TYPE_INT16', configValue: 7, byteSize: 2 },
  INT32: { name: 'INT32', configName: 'TYPE_INT32', configValue: 8, byteSize: 4 },
  INT64: { name: 'INT64', configName: 'TYPE_INT64', configValue: 9, byteSize: 8 },
  FP16: { name: 'FP16', configName: 'TYPE_FP16', configValue: 10, byteSize: 2 },
  FP32: { name: 'FP32', configName: 'TYPE_FP32', configValue: 11, byteSize: 4 },
  FP64: { name: 'FP64', configName: 'TYPE_FP64', configValue: 12, byteSize: 8 },
  BYTES: { name: 'BYTES', configName: 'TYPE_STRING', configValue: 13, byteSize: 0 },
  BF16: { name: 'BF16', configName: 'TYPE_BF16', configValue: 14, byteSize: 2 },
};

const byConfigName = new Map<string, DataTypeInfo>(Object.values(table).map((i) => [i.configName, i]));

export function isDataType(name: string): name is DataType {
  return Object.hasOwn(table, name);
}

export function dataTypeInfo(name: DataType): DataTypeInfo {
  return table[name];
}

/** `TYPE_FP32` -> `FP32`; undefined for TYPE_INVALID or unknown names. */
export function dataTypeFromConfig(configName: string): DataType | undefined {
  return byConfigName.get(configName)?.name;
}

/** `FP32` -> `TYPE_FP32`. */
export function dataTypeToConfig(name: DataType): string {
  return table[name].configName;
}

/** Bytes per element; 0 for BYTES. */
export function elementByteSize(name: DataType): number {
  return table[name].byteSize;
}

/** Product of a shape's dims (1 for a scalar shape `[]`). */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
