/**
 * Reads a request body into one Buffer under `--http-max-input-size`. A declared Content-Length over
 * the limit is refused before any byte is read; a chunked body is refused as soon as it passes it.
 */
import type { IncomingMessage } from 'node:http';
import { ownBuffer, ServerError } from '../../core/index.js';
import { tooLarge } from './limits.js';

const EMPTY = Buffer.alloc(0);

/**
 * Called once: with the size refusal or the disconnect error, or with the whole body. `owned`: the body's
 * ArrayBuffer was allocated for this body alone (assembled from several chunks), so it may be handed on
 * and detached; a single-chunk body is a view into a socket read that is not ours to give away.
 */
export type BodyDone = (err: ServerError | undefined, body: Buffer, owned: boolean) => void;

/**
 * An assembled body is placed so that the byte at `alignAt` (where the binary tensors start) sits on an
 * ALIGN boundary of its ArrayBuffer: typed-array views of any element type then need no copy.
 */
const ALIGN = 64;

/**
 * Callback form for the infer hot path (no promise per request). `what` names the body in the size
 * refusal: "Request JSON" or "Request". `done` may run before this returns.
 */
export function readBodyThen(req: IncomingMessage, maxSize: number, what: string, done: BodyDone, alignAt = 0): void {
  const declared = Number(req.headers['content-length']);
  if (declared > maxSize) {
    done(tooLarge(what, declared, maxSize), EMPTY, false);
    return;
  }
  if (req.readableEnded) {
    done(undefined, EMPTY, false);
    return;
  }
  const reader = new BodyReader(maxSize, what, done, alignAt, Number.isSafeInteger(declared) && declared > 0 ? declared : 0);
  // Anonymous listeners on purpose: named closures cost an extra defineProperty each under tsx.
  req.on('data', (chunk: Buffer) => reader.data(chunk));
  req.on('end', () => reader.end());
  // 'close' also fires after a complete body: the reader builds the error only when it is real.
  req.on('error', () => reader.abort());
  req.on('close', () => reader.abort());
}

/** The state of one body being read; settles `done` exactly once. */
class BodyReader {
  readonly #maxSize: number;
  readonly #what: string;
  readonly #done: BodyDone;
  #first: Buffer | undefined;
  #rest: Buffer[] | undefined;
  /** With a Content-Length: the body's own buffer, filled as chunks arrive (see `data`). */
  #into: Buffer | undefined;
  readonly #alignAt: number;
  readonly #declared: number;
  #size = 0;
  #finished = false;

  constructor(maxSize: number, what: string, done: BodyDone, alignAt: number, declared: number) {
    this.#maxSize = maxSize;
    this.#what = what;
    this.#done = done;
    this.#alignAt = Number.isSafeInteger(alignAt) && alignAt > 0 ? alignAt : 0;
    this.#declared = declared;
  }

  data(chunk: Buffer): void {
    if (this.#finished) return;
    this.#size += chunk.byteLength;
    if (this.#size > this.#maxSize) {
      this.#fail(tooLarge(this.#what, this.#size, this.#maxSize));
      return;
    }
    // Keep the first chunk as is: a single-chunk body needs no copy at all.
    if (this.#first === undefined && this.#into === undefined) {
      if (this.#declared > chunk.byteLength) this.#intoBody().set(chunk, 0);
      else this.#first = chunk;
      return;
    }
    // A body of known length is copied chunk by chunk into its own (usually spare) buffer: the socket
    // chunks are not held until the end, and the one copy is the same copy assemble() would make.
    const into = this.#into;
    if (into !== undefined && this.#size <= into.byteLength) {
      into.set(chunk, this.#size - chunk.byteLength);
      return;
    }
    // More bytes than declared (the HTTP parser does not let this happen) or no declared length: a list.
    if (this.#rest === undefined) {
      this.#rest = into !== undefined ? [into.subarray(0, this.#size - chunk.byteLength)] : [this.#first!];
      this.#into = undefined;
    }
    this.#rest.push(chunk);
  }

  #intoBody(): Buffer {
    this.#into = alignedBody(this.#declared, this.#alignAt);
    return this.#into;
  }

  end(): void {
    if (this.#finished) return;
    this.#finished = true;
    const into = this.#into;
    if (into !== undefined && this.#rest === undefined) {
      this.#done(undefined, this.#size === into.byteLength ? into : into.subarray(0, this.#size), true);
      return;
    }
    const rest = this.#rest;
    if (rest === undefined) {
      this.#done(undefined, this.#first ?? EMPTY, false);
      return;
    }
    this.#done(undefined, assemble(rest, this.#size, this.#alignAt), true);
  }

  /** Errors are costly to build: only a close before the end is a real disconnect. */
  abort(): void {
    if (!this.#finished) this.#fail(ServerError.cancelled('the client closed the connection while sending the request'));
  }

  #fail(err: ServerError): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#first = undefined;
    this.#rest = undefined;
    this.#into = undefined;
    this.#done(err, EMPTY, false);
  }
}

/**
 * `size` bytes in an ArrayBuffer of their own (ownBuffer: a spare or allocUnsafeSlow, never Node's shared
 * pool, no zero-fill: the caller overwrites every byte), with byte `alignAt` of the body on an ALIGN
 * boundary. The pad bytes before it are never exposed.
 */
function alignedBody(size: number, alignAt: number): Buffer {
  const pad = (ALIGN - (alignAt % ALIGN)) % ALIGN;
  return ownBuffer(pad + size).subarray(pad);
}

/** The chunks in one aligned body buffer of their own (alignedBody). */
function assemble(chunks: readonly Buffer[], size: number, alignAt: number): Buffer {
  const out = alignedBody(size, alignAt);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
