/**
 * Reads a request body into one Buffer under `--http-max-input-size`. A declared Content-Length over
 * the limit is refused before any byte is read; a chunked body is refused as soon as it passes it.
 */
import type { IncomingMessage } from 'node:http';
import { ServerError } from '../../core/index.js';
import { tooLarge } from './limits.js';

const EMPTY = Buffer.alloc(0);

/** Called once: with the size refusal or the disconnect error, or with the whole body. */
export type BodyDone = (err: ServerError | undefined, body: Buffer) => void;

/**
 * Callback form for the infer hot path (no promise per request). `what` names the body in the size
 * refusal: "Request JSON" or "Request". `done` may run before this returns.
 */
export function readBodyThen(req: IncomingMessage, maxSize: number, what: string, done: BodyDone): void {
  const declared = Number(req.headers['content-length']);
  if (declared > maxSize) {
    done(tooLarge(what, declared, maxSize), EMPTY);
    return;
  }
  if (req.readableEnded) {
    done(undefined, EMPTY);
    return;
  }
  let first: Buffer | undefined;
  let rest: Buffer[] | undefined;
  let size = 0;
  let finished = false;
  const fail = (err: ServerError): void => {
    if (finished) return;
    finished = true;
    first = undefined;
    rest = undefined;
    done(err, EMPTY);
  };
  req.on('data', (chunk: Buffer) => {
    if (finished) return;
    size += chunk.byteLength;
    if (size > maxSize) {
      fail(tooLarge(what, size, maxSize));
      return;
    }
    // Keep the first chunk as is: a single-chunk body needs no copy at all.
    if (first === undefined) first = chunk;
    else (rest ??= [first]).push(chunk);
  });
  req.on('end', () => {
    if (finished) return;
    finished = true;
    done(undefined, rest !== undefined ? Buffer.concat(rest, size) : (first ?? EMPTY));
  });
  // 'close' also fires after a complete body: build the error only when it is real (errors are costly).
  const aborted = (): void => {
    if (!finished) fail(ServerError.cancelled('the client closed the connection while sending the request'));
  };
  req.on('error', aborted);
  req.on('close', aborted);
}

/** Promise form of `readBodyThen`; rejects with the size refusal or the disconnect error. */
export function readBody(req: IncomingMessage, maxSize: number, what: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    readBodyThen(req, maxSize, what, (err, body) => (err === undefined ? resolve(body) : reject(err)));
  });
}
