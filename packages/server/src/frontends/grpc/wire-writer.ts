/**
 * Protobuf wire primitives for our reply encoders: each value has a size function and a writer that
 * puts it at an offset of a buffer allocated to the summed size, so a reply is written once, in place,
 * without protobufjs's Writer and its op list. Every tag used here fits one byte (field numbers < 16).
 */

export function varintSize(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** A non-negative safe integer as a varint at `at`; returns the offset after it. */
export function putVarint(buf: Buffer, at: number, v: number): number {
  while (v >= 128) {
    buf[at++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  buf[at++] = v;
  return at;
}

/** Size of an int64 varint: negative values are their 64-bit two's complement (10 bytes), as protobufjs writes. */
export function int64Size(v: number): number {
  return v < 0 ? 10 : varintSize(v);
}

export function putInt64(buf: Buffer, at: number, v: number): number {
  if (v >= 0) return putVarint(buf, at, v);
  let u = BigInt.asUintN(64, BigInt(v));
  for (let i = 0; i < 9; i++) {
    buf[at++] = Number(u & 0x7fn) | 0x80;
    u >>= 7n;
  }
  buf[at++] = Number(u);
  return at;
}

/** UTF-8 length; names are short ASCII, where a char loop beats Buffer.byteLength's native call. */
export function utf8Length(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 128) return Buffer.byteLength(s);
  return s.length;
}

/** Size of a string field with its tag, 0 when absent (null/undefined) as proto-loader omits it. */
export function textSize(s: string | undefined | null): number {
  if (s == null) return 0;
  const n = utf8Length(s);
  return 1 + varintSize(n) + n;
}

export function putText(buf: Buffer, at: number, tag: number, s: string | undefined | null): number {
  if (s == null) return at;
  buf[at++] = tag;
  const n = utf8Length(s);
  at = putVarint(buf, at, n);
  if (n !== s.length) return at + buf.write(s, at);
  for (let i = 0; i < n; i++) buf[at + i] = s.charCodeAt(i);
  return at + n;
}

/** Size of a length-delimited field (tag, length, body) whose body is `n` bytes. */
export function delimitedSize(n: number): number {
  return 1 + varintSize(n) + n;
}

/** Tag and length of a length-delimited field; the body follows at the returned offset. */
export function putDelimitedHead(buf: Buffer, at: number, tag: number, n: number): number {
  buf[at++] = tag;
  return putVarint(buf, at, n);
}

export function isEmpty(o: object | undefined | null): boolean {
  if (o == null) return true;
  for (const _ in o) return false;
  return true;
}
