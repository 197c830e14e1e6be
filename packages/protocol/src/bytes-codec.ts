/**
 * BYTES tensors on the wire: each element is a uint32 little-endian byte length followed by the bytes,
 * elements concatenated without padding (binary tensor extension, gRPC raw contents, Python backend).
 */

const utf8 = new TextEncoder();

/** Serializes elements (strings are UTF-8 encoded) into one length-prefixed buffer. */
export function encodeBytesElements(elements: readonly (string | Uint8Array)[]): Uint8Array {
  const parts = elements.map((e) => (typeof e === 'string' ? utf8.encode(e) : e));
  let total = 0;
  for (const p of parts) total += 4 + p.byteLength;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let off = 0;
  for (const p of parts) {
    view.setUint32(off, p.byteLength, true);
    out.set(p, off + 4);
    off += 4 + p.byteLength;
  }
  return out;
}

/** Thrown when a BYTES buffer does not parse; callers turn it into their protocol's error. */
export class BytesFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BytesFormatError';
  }
}

/**
 * Splits a length-prefixed buffer into element views (no copies). When `expectedCount` is given, the
 * buffer must hold exactly that many elements and nothing after them.
 */
export function decodeBytesElements(data: Uint8Array, expectedCount?: number): Uint8Array[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: Uint8Array[] = [];
  let off = 0;
  while (off < data.byteLength) {
    if (expectedCount !== undefined && out.length === expectedCount) {
      throw new BytesFormatError(`unexpected ${data.byteLength - off} bytes after the last of ${expectedCount} BYTES elements`);
    }
    if (off + 4 > data.byteLength) {
      throw new BytesFormatError(`incomplete length prefix for BYTES element ${out.length}`);
    }
    const len = view.getUint32(off, true);
    off += 4;
    if (off + len > data.byteLength) {
      throw new BytesFormatError(`BYTES element ${out.length} declares ${len} bytes but only ${data.byteLength - off} remain`);
    }
    out.push(data.subarray(off, off + len));
    off += len;
  }
  if (expectedCount !== undefined && out.length !== expectedCount) {
    throw new BytesFormatError(`expected ${expectedCount} BYTES elements, got ${out.length}`);
  }
  return out;
}
