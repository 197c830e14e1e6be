/**
 * Typed access to parsed request JSON with Triton's failure texts. Triton's JSON layer reports accessor
 * failures as INTERNAL (HTTP 500), wrapped as "<context>: <accessor text>"; clients see exactly that.
 */
import { JSON_ACCESS } from '@inferd/protocol';
import { ServerError } from '../../core/index.js';

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** True when `v` is an object that has `key` (Triton's `Find`). */
export function has(v: unknown, key: string): boolean {
  return isObject(v) && Object.hasOwn(v, key);
}

export function accessError(context: string, text: string): ServerError {
  return ServerError.internal(`${context}: ${text}`);
}

function member(obj: unknown, key: string, context: string): unknown {
  if (!has(obj, key)) throw accessError(context, `attempt to access non-existing object member '${key}'`);
  return (obj as JsonObject)[key];
}

const UINT64_MAX = (1n << 64n) - 1n;

/**
 * rapidjson's IsUint64: a non-negative integer. The request parser hands integers beyond 2^53 over
 * as bigint (exact); one beyond 2^64-1 is a double to rapidjson, so not an unsigned integer.
 */
export function isUint(v: unknown): v is number | bigint {
  if (typeof v === 'bigint') return v >= 0n && v <= UINT64_MAX;
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

export function asString(v: unknown, context: string): string {
  if (typeof v !== 'string') throw accessError(context, JSON_ACCESS.string);
  return v;
}

export function asBool(v: unknown, context: string): boolean {
  if (typeof v !== 'boolean') throw accessError(context, JSON_ACCESS.bool);
  return v;
}

/** An unsigned integer as a number (sizes, offsets, counts: any value beyond 2^53 fails their own checks). */
export function asUint(v: unknown, context: string): number {
  if (!isUint(v)) throw accessError(context, JSON_ACCESS.uint);
  return Number(v);
}

/** An unsigned 64-bit integer, exact. */
export function asUint64(v: unknown, context: string): bigint {
  if (!isUint(v)) throw accessError(context, JSON_ACCESS.uint);
  return BigInt(v);
}

export function memberString(obj: unknown, key: string, context: string): string {
  return asString(member(obj, key, context), context);
}

export function memberArray(obj: unknown, key: string, context: string): unknown[] {
  const v = member(obj, key, context);
  if (!Array.isArray(v)) throw accessError(context, JSON_ACCESS.array);
  return v;
}
