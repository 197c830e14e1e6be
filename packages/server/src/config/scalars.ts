/**
 * Range rules of proto scalar types, shared by the pbtxt and JSON parsers. Integers arrive as BigInt so
 * 64-bit literals are checked exactly before they become JS numbers.
 */
import type { ScalarType } from './schema.js';

const RANGES: Readonly<Record<string, readonly [bigint, bigint]>> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

export function isIntegerType(type: string): boolean {
  return Object.hasOwn(RANGES, type);
}

export function isFloatType(type: string): boolean {
  return type === 'float' || type === 'double';
}

/**
 * The JS number for an integer of `type`, or an error message. Values beyond 2^53 are refused rather
 * than silently rounded: no config field needs them, and a rounded value would be wrong without notice.
 */
export function checkInteger(type: ScalarType, value: bigint, text: string): number | { error: string } {
  const range = RANGES[type];
  if (range === undefined) return { error: `Expected ${type}, got: ${text}` };
  if (value < range[0] || value > range[1]) return { error: `Integer out of range (${text})` };
  const n = Number(value);
  if (!Number.isSafeInteger(n)) return { error: `Integer out of range for a JS number (${text})` };
  return n;
}

/** Parses a decimal, hex (0x) or octal (leading 0) integer literal without sign; undefined if malformed. */
export function parseIntegerLiteral(text: string): bigint | undefined {
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) return BigInt(text);
  if (/^0[0-7]+$/.test(text)) return BigInt(`0o${text.slice(1)}`);
  if (/^(0|[1-9][0-9]*)$/.test(text)) return BigInt(text);
  return undefined;
}

/** Parses a float literal (`1.5`, `.5`, `1e-3`, `2f`, `inf`, `nan`) without sign; undefined if malformed. */
export function parseFloatLiteral(text: string): number | undefined {
  const lower = text.toLowerCase();
  if (lower === 'inf' || lower === 'infinity') return Infinity;
  if (lower === 'nan') return NaN;
  const body = /[fF]$/.test(text) && !/^0[xX]/.test(text) ? text.slice(0, -1) : text;
  if (!/^([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/.test(body)) {
    const int = parseIntegerLiteral(body);
    return int === undefined ? undefined : Number(int);
  }
  return Number(body);
}

/** Encodes a string the way the pbtxt printer writes it: C escapes, UTF-8 kept as is. */
export function quoteString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\${code.toString(8).padStart(3, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Text-format spelling of a float value (`inf`, `-inf`, `nan` for the non-finite ones). */
export function formatFloat(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  return String(value);
}
