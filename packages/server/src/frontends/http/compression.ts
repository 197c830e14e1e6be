/**
 * HTTP body compression (spec §2): request `Content-Encoding` gzip/deflate (deflate = zlib-wrapped),
 * response encoding picked from `Accept-Encoding` the way Triton's CompressionTypeUsed does.
 * zlib runs on the thread pool (async), and inflation is capped so a gzip bomb cannot grow past the limit.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { ServerError } from '../../core/index.js';
import { tooLarge } from './limits.js';

export type Encoding = 'identity' | 'gzip' | 'deflate';

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const gzip = promisify(zlib.gzip);
const deflate = promisify(zlib.deflate);

/** Request body encoding; undefined = unsupported (answer 501 with `Accept-Encoding: gzip, deflate`). */
export function requestEncoding(header: string | undefined): Encoding | undefined {
  if (header === undefined || header === '' || header === 'identity') return 'identity';
  if (header === 'gzip' || header === 'deflate') return header;
  return undefined;
}

/** Inflates a request body, refusing output beyond `maxSize` bytes. */
export async function decompress(body: Buffer, encoding: 'gzip' | 'deflate', maxSize: number): Promise<Buffer> {
  try {
    const opts = { maxOutputLength: Math.max(1, maxSize) };
    return encoding === 'gzip' ? await gunzip(body, opts) : await inflate(body, opts);
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge('Decompressed request', undefined, maxSize);
    throw ServerError.invalidArg(`failed to decompress the request body (${encoding}): ${(err as Error).message}`);
  }
}

/**
 * Triton's Accept-Encoding choice: comma-separated entries, leading spaces skipped, optional `;q=`
 * weight (unparsable weights skip the entry), highest weight among identity/deflate/gzip wins, ties
 * keep the first.
 */
export function responseEncoding(header: string | undefined): Encoding {
  if (header === undefined) return 'identity';
  let best: Encoding = 'identity';
  let weight = 0;
  for (const entry of header.split(',')) {
    const start = entry.search(/[^ ]/);
    const q = entry.indexOf(';q=');
    if (start < 0 || (q >= 0 && start >= q)) continue;
    const type = q < 0 ? entry.slice(start) : entry.slice(start, q);
    let w = 1;
    if (q >= 0) {
      w = Number.parseFloat(entry.slice(q + 3));
      if (Number.isNaN(w)) continue;
    }
    if ((type === 'identity' || type === 'deflate' || type === 'gzip') && w > weight) {
      best = type;
      weight = w;
    }
  }
  return best;
}

export async function compress(body: Buffer, encoding: 'gzip' | 'deflate'): Promise<Buffer> {
  return encoding === 'gzip' ? gzip(body) : deflate(body);
}
