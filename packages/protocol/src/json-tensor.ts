/**
 * KServe v2 JSON tensor `data` <-> little-endian tensor bytes. `data` is row-major, nested or flat.
 * BOOL <-> true/false; integers <-> JSON integers; FP32/FP64 <-> numbers; BYTES <-> UTF-8 strings
 * (length-prefixed on the wire side). FP16/BF16 are refused both ways, as Triton does.
 *
 * Error texts follow Triton's HTTP frontend (clients compare them). Triton's JSON accessor failures
 * carry its INTERNAL code, its explicit refusals INVALID_ARG; `JsonTensorError.code` keeps that split.
 */
import { encodeBytesElements, decodeBytesElements } from './bytes-codec.js';
import type { DataType } from './datatypes.js';
import { TYPED_ARRAYS, typedBytes, typedView, type NumericArray } from './typed-view.js';

export type JsonTensorErrorCode = 'INVALID_ARG' | 'INTERNAL';

/** A JSON tensor that cannot be converted; `code` is the protocol-neutral status to report. */
export class JsonTensorError extends Error {
  readonly code: JsonTensorErrorCode;

  constructor(code: JsonTensorErrorCode, message: string) {
    super(message);
    this.name = 'JsonTensorError';
    this.code = code;
  }
}

/** Deepest array nesting accepted in `data` (the outer array is level 1). */
export const MAX_JSON_DATA_DEPTH = 100;

/** Accessor failure texts, worded like Triton's JSON layer. */
export const JSON_ACCESS = {
  array: 'attempt to access JSON non-array as array',
  string: 'attempt to access JSON non-string as string',
  bool: 'attempt to access JSON non-boolean as boolean',
  int: 'attempt to access JSON non-signed-integer as signed-integer',
  uint: 'attempt to access JSON non-unsigned-integer as unsigned-integer',
  double: 'attempt to access JSON non-number as double',
} as const;

const MAX_JSON_ELEMENTS = 2 ** 32;
const SHAPE_MISMATCH = "Unable to parse 'data': Shape does not match true shape of 'data' field";
const INT64_LIMIT = 2 ** 63;
const UINT64_LIMIT = 2 ** 64;
const INT64_MIN_BIG = -(1n << 63n);
const INT64_MAX_BIG = (1n << 63n) - 1n;
const UINT64_MAX_BIG = (1n << 64n) - 1n;

function internal(message: string): JsonTensorError {
  return new JsonTensorError('INTERNAL', message);
}

function tooDeep(): JsonTensorError {
  return new JsonTensorError(
    'INVALID_ARG',
    // Triton's words (its qa test_json_recursion_depth_limit looks for "JSON nesting depth exceeds ...").
    `Unable to parse 'data': JSON nesting depth exceeds maximum allowed limit (${MAX_JSON_DATA_DEPTH})`,
  );
}

/** Converts one JSON leaf and stores it at `index`; throws with the accessor text on a type mismatch. */
type LeafWriter = (out: NumericArray, index: number, value: unknown) => void;

/*
 * Integer leaves are numbers, or bigints where the request parser kept an integer literal beyond 2^53
 * exactly (as rapidjson does with its int64/uint64 values). Doubles are never integers here: a JSON
 * number with a fraction or exponent is refused by AsInt/AsUInt in Triton, so only exact integers pass.
 */
function isInt(v: unknown): v is number | bigint {
  if (typeof v === 'bigint') return v >= INT64_MIN_BIG && v <= INT64_MAX_BIG;
  return typeof v === 'number' && Number.isInteger(v) && v >= -INT64_LIMIT && v < INT64_LIMIT;
}

function isUint(v: unknown): v is number | bigint {
  if (typeof v === 'bigint') return v >= 0n && v <= UINT64_MAX_BIG;
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= UINT64_LIMIT;
}

const badLeaf = (what: keyof typeof JSON_ACCESS): never => {
  throw internal(`Unable to parse 'data': ${JSON_ACCESS[what]}`);
};

// Narrow integer types wrap like Triton's C casts (TypedArray stores do the same modular conversion).
const writeInt: LeafWriter = (out, i, v) => {
  if (!isInt(v)) badLeaf('int');
  (out as Int32Array)[i] = typeof v === 'bigint' ? Number(BigInt.asIntN(32, v)) : (v as number);
};
const writeUint: LeafWriter = (out, i, v) => {
  if (!isUint(v)) badLeaf('uint');
  (out as Uint32Array)[i] = typeof v === 'bigint' ? Number(BigInt.asUintN(32, v)) : (v as number);
};
const writeInt64: LeafWriter = (out, i, v) => {
  if (!isInt(v)) badLeaf('int');
  (out as BigInt64Array)[i] = typeof v === 'bigint' ? v : BigInt(v as number);
};
const writeUint64: LeafWriter = (out, i, v) => {
  if (!isUint(v)) badLeaf('uint');
  if (typeof v === 'bigint') {
    (out as BigUint64Array)[i] = v;
    return;
  }
  // A client's JSON.parse rounds 2^64-1 up to 2^64; keep the largest value instead of wrapping to 0.
  (out as BigUint64Array)[i] = (v as number) === UINT64_LIMIT ? UINT64_MAX_BIG : BigInt(v as number);
};
const writeDouble: LeafWriter = (out, i, v) => {
  if (typeof v === 'bigint') {
    (out as Float64Array)[i] = Number(v);
    return;
  }
  if (typeof v !== 'number') badLeaf('double');
  (out as Float64Array)[i] = v as number;
};
const writeBool: LeafWriter = (out, i, v) => {
  if (typeof v !== 'boolean') badLeaf('bool');
  (out as Uint8Array)[i] = v ? 1 : 0;
};

const WRITERS: Partial<Record<DataType, LeafWriter>> = {
  BOOL: writeBool,
  UINT8: writeUint, UINT16: writeUint, UINT32: writeUint, UINT64: writeUint64,
  INT8: writeInt, INT16: writeInt, INT32: writeInt, INT64: writeInt64,
  FP32: writeDouble, FP64: writeDouble,
};

/** Walks nested arrays depth-first, storing leaves in row-major order; returns the next free index. */
function fill(arr: readonly unknown[], depth: number, out: NumericArray, write: LeafWriter, start: number): number {
  if (depth > MAX_JSON_DATA_DEPTH) throw tooDeep();
  let n = start;
  const limit = out.length;
  for (let k = 0; k < arr.length; k++) {
    const v = arr[k];
    if (Array.isArray(v)) {
      n = fill(v, depth + 1, out, write, n);
      continue;
    }
    if (n >= limit) throw internal(SHAPE_MISMATCH);
    write(out, n, v);
    n += 1;
  }
  return n;
}

function collectStrings(arr: readonly unknown[], depth: number, out: string[]): void {
  if (depth > MAX_JSON_DATA_DEPTH) throw tooDeep();
  for (let k = 0; k < arr.length; k++) {
    const v = arr[k];
    if (Array.isArray(v)) collectStrings(v, depth + 1, out);
    else if (typeof v === 'string') out.push(v);
    else throw internal(`Unable to parse JSON bytes array: ${JSON_ACCESS.string}`);
  }
}

/**
 * JSON `data` of input `name` -> tensor bytes holding exactly `elementCount` elements. For BYTES the
 * element count is not checked here (the request validator checks the decoded buffer against the
 * shape, as Triton does). `elementCount === 0` skips `data` entirely (Triton never reads it).
 */
export function jsonDataToBytes(name: string, datatype: DataType, data: unknown, elementCount: number): Uint8Array {
  if (elementCount === 0) return new Uint8Array(0);
  if (!Array.isArray(data)) throw internal(`Unable to parse 'data': ${JSON_ACCESS.array}`);
  if (datatype === 'BYTES') {
    const strings: string[] = [];
    collectStrings(data, 1, strings);
    return encodeBytesElements(strings);
  }
  if (datatype === 'FP16' || datatype === 'BF16') {
    throw new JsonTensorError(
      'INVALID_ARG',
      `receiving ${datatype} data via JSON is not supported. Please use the binary data format for input ${name}`,
    );
  }
  // No `data` array can list 2^32 leaves (the body would be many GiB): the shape cannot match it, and
  // sizing a typed array by it would fail with a RangeError instead of Triton's shape text.
  if (elementCount > MAX_JSON_ELEMENTS) throw internal(SHAPE_MISMATCH);
  const write = WRITERS[datatype]!;
  const out = new TYPED_ARRAYS[datatype](elementCount);
  const n = fill(data, 1, out, write, 0);
  if (n !== elementCount) throw internal(SHAPE_MISMATCH);
  return typedBytes(out);
}

const utf8 = new TextDecoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function outputSizeError(name: string): JsonTensorError {
  return internal(`output tensor shape does not match size of output for '${name}'`);
}

function checkJsonOutput(name: string, datatype: DataType, bytes: Uint8Array, elementCount: number): void {
  if (datatype === 'FP16' || datatype === 'BF16') {
    throw new JsonTensorError(
      'INVALID_ARG',
      `sending ${datatype} data via JSON is not supported. Please use the binary data format for output`,
    );
  }
  if (datatype !== 'BYTES' && bytes.byteLength !== elementCount * TYPED_ARRAYS[datatype].BYTES_PER_ELEMENT) {
    throw outputSizeError(name);
  }
}

function bytesStrings(name: string, bytes: Uint8Array, elementCount: number): string[] {
  let parts: Uint8Array[];
  try {
    parts = decodeBytesElements(bytes);
  } catch {
    throw outputSizeError(name);
  }
  if (parts.length < elementCount) throw outputSizeError(name);
  return parts.slice(0, elementCount).map((p) => utf8.decode(p));
}

/** A JSON value of a tensor element: 64-bit integers come back as bigint so none are rounded. */
export type JsonElement = number | bigint | boolean | string;

/** Tensor bytes -> flat row-major JSON values (what the `data` array of an output holds). */
export function tensorToJsonValues(name: string, datatype: DataType, bytes: Uint8Array, elementCount: number): JsonElement[] {
  checkJsonOutput(name, datatype, bytes, elementCount);
  if (datatype === 'BYTES') return bytesStrings(name, bytes, elementCount);
  if (datatype === 'BOOL') return Array.from(bytes, (b) => b !== 0);
  return Array.from(typedView(bytes, TYPED_ARRAYS[datatype]) as ArrayLike<number | bigint>);
}

/**
 * A double printed like Triton's JSON writer (rapidjson): integral values keep a `.0`, exponents have
 * no `+`, and NaN/Infinity are written bare.
 */
export function formatJsonDouble(v: number): string {
  const s = String(v);
  if (!Number.isFinite(v)) return s;
  if (s.includes('e')) return s.replace('e+', 'e');
  return s.includes('.') ? s : `${s}.0`;
}

/**
 * Tensor bytes -> the text of a flat JSON array (`[1,2,3]`), built without a JSON round trip and with
 * 64-bit integers printed exactly.
 */
export function tensorToJsonText(name: string, datatype: DataType, bytes: Uint8Array, elementCount: number): string {
  checkJsonOutput(name, datatype, bytes, elementCount);
  switch (datatype) {
    case 'BYTES': {
      // A text document cannot carry other bytes: refuse rather than replace them (see bytesTensorToJson).
      const json = bytesTensorToJson(name, bytes, elementCount);
      if (typeof json !== 'string') {
        throw new JsonTensorError(
          'INVALID_ARG',
          `output '${name}' has BYTES elements that are not valid UTF-8 and cannot be sent as JSON text`,
        );
      }
      return json;
    }
    case 'BOOL': {
      const parts = new Array<string>(bytes.byteLength);
      for (let i = 0; i < bytes.byteLength; i++) parts[i] = bytes[i] === 0 ? 'false' : 'true';
      return `[${parts.join(',')}]`;
    }
    case 'FP32':
    case 'FP64': {
      const view = typedView(bytes, TYPED_ARRAYS[datatype]) as Float32Array | Float64Array;
      const parts = new Array<string>(view.length);
      for (let i = 0; i < view.length; i++) parts[i] = formatJsonDouble(view[i]!);
      return `[${parts.join(',')}]`;
    }
    default:
      return `[${typedView(bytes, TYPED_ARRAYS[datatype]).join(',')}]`;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SHORT_ESCAPES: Readonly<Record<number, number>> = { 0x08: 0x62, 0x09: 0x74, 0x0a: 0x6e, 0x0c: 0x66, 0x0d: 0x72 };
const HEX = '0123456789ABCDEF';

function isUtf8(bytes: Uint8Array): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** One element as a JSON string literal holding its bytes unchanged (only `"`, `\` and controls escaped). */
function rawStringLiteral(element: Uint8Array, out: number[]): void {
  out.push(QUOTE);
  for (const b of element) {
    if (b === QUOTE || b === BACKSLASH) out.push(BACKSLASH, b);
    else if (b < 0x20) {
      const short = SHORT_ESCAPES[b];
      if (short !== undefined) out.push(BACKSLASH, short);
      else out.push(BACKSLASH, 0x75, 0x30, 0x30, HEX.charCodeAt(b >> 4), HEX.charCodeAt(b & 15));
    } else out.push(b);
  }
  out.push(QUOTE);
}

/**
 * The JSON `data` array of a BYTES output. Elements that are valid UTF-8 give a string (as
 * `tensorToJsonText`). When any element is not, the array comes back as bytes in which every element's
 * bytes are written unchanged, as Triton's JSON writer does: the client receives exactly what the model
 * produced (the document is then not valid UTF-8, but no byte is replaced).
 */
export function bytesTensorToJson(name: string, bytes: Uint8Array, elementCount: number): string | Uint8Array {
  checkJsonOutput(name, 'BYTES', bytes, elementCount);
  let parts: Uint8Array[];
  try {
    parts = decodeBytesElements(bytes);
  } catch {
    throw outputSizeError(name);
  }
  if (parts.length < elementCount) throw outputSizeError(name);
  parts = parts.slice(0, elementCount);
  if (parts.every(isUtf8)) return JSON.stringify(parts.map((p) => utf8.decode(p)));
  const out: number[] = [0x5b];
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) out.push(0x2c);
    rawStringLiteral(parts[i]!, out);
  }
  out.push(0x5d);
  return Uint8Array.from(out);
}
