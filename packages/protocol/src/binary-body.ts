/**
 * The binary tensor extension's body layout: a JSON header of `Inference-Header-Content-Length` bytes,
 * then the tensor blobs concatenated without padding, in the order their tensors are listed.
 */

export const INFERENCE_HEADER_CONTENT_LENGTH = 'Inference-Header-Content-Length';

const utf8 = new TextEncoder();

/**
 * Reads a header-length value the way Triton does (C `atoi`): optional whitespace and sign, then the
 * leading digits; no digits gives 0. Returns a plain number (may be negative; callers range-check).
 */
export function parseHeaderLength(value: string): number {
  const m = /^[\t\n\v\f\r ]*([+-]?)(\d*)/.exec(value);
  const digits = m?.[2] ?? '';
  if (digits === '') return 0;
  const n = Number(digits);
  return m?.[1] === '-' ? -n : n;
}

export interface SplitBody {
  /** The JSON header bytes (a view into the body). */
  readonly header: Uint8Array;
  /** Everything after the header (a view into the body). */
  readonly binary: Uint8Array;
}

/** Splits `body` after `headerLength` bytes without copying; throws RangeError when out of range. */
export function splitBinaryBody(body: Uint8Array, headerLength: number): SplitBody {
  if (!Number.isInteger(headerLength) || headerLength < 0 || headerLength > body.byteLength) {
    throw new RangeError(`header length ${headerLength} is outside the body of ${body.byteLength} bytes`);
  }
  return { header: body.subarray(0, headerLength), binary: body.subarray(headerLength) };
}

export interface JoinedBody {
  readonly body: Uint8Array;
  /** Byte length of the JSON header: the `Inference-Header-Content-Length` value. */
  readonly headerLength: number;
}

/** Concatenates a JSON header (text or UTF-8 bytes) and the blobs into one body (one copy of each). */
export function joinBinaryBody(header: string | Uint8Array, blobs: readonly Uint8Array[]): JoinedBody {
  const head = typeof header === 'string' ? utf8.encode(header) : header;
  let total = head.byteLength;
  for (const b of blobs) total += b.byteLength;
  const body = new Uint8Array(total);
  body.set(head, 0);
  let off = head.byteLength;
  for (const b of blobs) {
    body.set(b, off);
    off += b.byteLength;
  }
  return { body, headerLength: head.byteLength };
}
