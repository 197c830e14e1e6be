/**
 * Reads a request body into one Buffer under `--http-max-input-size`. A declared Content-Length over
 * the limit is refused before any byte is read; a chunked body is refused as soon as it passes it.
 */
import type { IncomingMessage } from 'node:http';
import { ServerError } from '../../core/index.js';
import { tooLarge } from './limits.js';

const EMPTY = Buffer.alloc(0);

/** Rejects with the size refusal (`what` names the body: "Request JSON" or "Request"). */
export function readBody(req: IncomingMessage, maxSize: number, what: string): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > maxSize) return Promise.reject(tooLarge(what, declared, maxSize));
  if (req.readableEnded) return Promise.resolve(EMPTY);
  return new Promise((resolve, reject) => {
    let first: Buffer | undefined;
    let rest: Buffer[] | undefined;
    let size = 0;
    let done = false;
    const fail = (err: ServerError): void => {
      if (done) return;
      done = true;
      first = undefined;
      rest = undefined;
      reject(err);
    };
    req.on('data', (chunk: Buffer) => {
      if (done) return;
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
      if (done) return;
      done = true;
      resolve(rest !== undefined ? Buffer.concat(rest, size) : (first ?? EMPTY));
    });
    // 'close' also fires after a complete body: build the error only when it is real (errors are costly).
    const aborted = (): void => {
      if (!done) fail(ServerError.cancelled('the client closed the connection while sending the request'));
    };
    req.on('error', aborted);
    req.on('close', aborted);
  });
}
