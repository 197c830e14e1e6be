/**
 * `map<string, InferParameter>` on the wire, for the fast reply encoders: each entry is a
 * length-delimited message { key = 1 (string), value = 2 (InferParameter) }, InferParameter being the
 * oneof bool_param = 1, int64_param = 2, string_param = 3, double_param = 4, uint64_param = 5 (see
 * grpc_service.proto). Only what infer-encode.ts builds is taken: one member set, of its JS type, with
 * 64-bit integers given as safe integers. Anything else (Long strings, several members, odd types)
 * makes the size -1, and the caller hands the whole reply to proto-loader, whose bytes and errors are
 * then the answer.
 */
import type { pb } from '@inferd/protocol';
import {
  delimitedSize, int64Size, putDelimitedHead, putInt64, putText, putVarint, textSize, varintSize,
} from './wire-writer.js';

type Params = Readonly<Record<string, pb.InferParameterInit>>;

/** Body size of one InferParameter, or -1 for the generic encoder. */
function valueSize(p: pb.InferParameterInit): number {
  if (p === null || typeof p !== 'object') return -1;
  let size = 0;
  let members = 0;
  for (const key in p) {
    members++;
    const v = (p as Record<string, unknown>)[key];
    switch (key) {
      case 'bool_param':
        if (typeof v !== 'boolean') return -1;
        size = 2;
        break;
      case 'int64_param':
        if (typeof v !== 'number' || !Number.isSafeInteger(v)) return -1;
        size = 1 + int64Size(v);
        break;
      case 'string_param':
        if (typeof v !== 'string') return -1;
        size = textSize(v);
        break;
      case 'double_param':
        if (typeof v !== 'number') return -1;
        size = 9;
        break;
      case 'uint64_param':
        if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) return -1;
        size = 1 + varintSize(v);
        break;
      default:
        return -1;
    }
  }
  return members > 1 ? -1 : size;
}

function putValue(buf: Buffer, at: number, p: pb.InferParameterInit): number {
  if (p.bool_param !== undefined) {
    buf[at++] = 8;
    buf[at++] = p.bool_param ? 1 : 0;
  } else if (p.int64_param !== undefined) {
    buf[at++] = 16;
    at = putInt64(buf, at, p.int64_param as number);
  } else if (p.string_param !== undefined) {
    at = putText(buf, at, 26, p.string_param);
  } else if (p.double_param !== undefined) {
    buf[at++] = 33;
    at = buf.writeDoubleLE(p.double_param, at);
  } else if (p.uint64_param !== undefined) {
    buf[at++] = 40;
    at = putVarint(buf, at, p.uint64_param as number);
  }
  return at;
}

function entrySize(key: string, p: pb.InferParameterInit): number {
  const v = valueSize(p);
  return v < 0 ? -1 : textSize(key) + delimitedSize(v);
}

/** Bytes of every entry of the map (tags included), or -1 for the generic encoder. */
export function parameterMapSize(params: Params): number {
  let size = 0;
  for (const key in params) {
    const n = entrySize(key, params[key]!);
    if (n < 0) return -1;
    size += delimitedSize(n);
  }
  return size;
}

/** Writes the map's entries as field `tag`, in the key order protobufjs uses (Object.keys). */
export function putParameterMap(buf: Buffer, at: number, tag: number, params: Params): number {
  for (const key in params) {
    const p = params[key]!;
    at = putDelimitedHead(buf, at, tag, entrySize(key, p));
    at = putText(buf, at, 10, key);
    at = putDelimitedHead(buf, at, 18, valueSize(p));
    at = putValue(buf, at, p);
  }
  return at;
}
