/**
 * Frames between the server and a Python stub over one Unix stream socket (the child's fd 3):
 * `u32 LE header length | u32 LE body length | header JSON | body`. Tensor bytes travel raw in the body,
 * back to back in header order; JSON carries only names, shapes and sizes. The same layout is read and
 * written by `stub/_inferd_wire.py`.
 */

const PREFIX_BYTES = 8;

/** The JSON part of a frame; `t` names the message. */
export interface FrameHead {
  readonly t: string;
  readonly [key: string]: unknown;
}

/** Encodes the prefix and header of a frame whose body is `bodyBytes` long (the body is written after it). */
export function encodeFrameHead(head: FrameHead, bodyBytes: number): Buffer {
  const json = Buffer.from(JSON.stringify(head), 'utf8');
  const out = Buffer.allocUnsafe(PREFIX_BYTES + json.byteLength);
  out.writeUInt32LE(json.byteLength, 0);
  out.writeUInt32LE(bodyBytes, 4);
  json.copy(out, PREFIX_BYTES);
  return out;
}

/**
 * Reassembles frames from socket chunks. A frame inside one chunk is used in place; one spread over
 * several chunks is joined once (a 4 MB tensor arrives in many 64 KiB reads: no copy per read).
 */
export class FrameReader {
  readonly #chunks: Buffer[] = [];
  #buffered = 0;
  readonly #onFrame: (head: FrameHead, body: Buffer) => void;

  constructor(onFrame: (head: FrameHead, body: Buffer) => void) {
    this.#onFrame = onFrame;
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#buffered += chunk.byteLength;
    for (;;) {
      if (this.#buffered < PREFIX_BYTES) return;
      const prefix = this.#peek(PREFIX_BYTES);
      const headLen = prefix.readUInt32LE(0);
      const total = PREFIX_BYTES + headLen + prefix.readUInt32LE(4);
      if (this.#buffered < total) return;
      const frame = this.#take(total);
      const head = JSON.parse(frame.toString('utf8', PREFIX_BYTES, PREFIX_BYTES + headLen)) as FrameHead;
      this.#onFrame(head, frame.subarray(PREFIX_BYTES + headLen));
    }
  }

  #peek(n: number): Buffer {
    const first = this.#chunks[0]!;
    if (first.byteLength >= n) return first;
    return Buffer.concat(this.#chunks, n);
  }

  #take(n: number): Buffer {
    const first = this.#chunks[0]!;
    if (first.byteLength >= n) {
      if (first.byteLength === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      this.#buffered -= n;
      return first.subarray(0, n);
    }
    const joined = Buffer.concat(this.#chunks, this.#buffered);
    this.#chunks.length = 0;
    if (joined.byteLength > n) this.#chunks.push(joined.subarray(n));
    this.#buffered -= n;
    return joined.subarray(0, n);
  }
}
