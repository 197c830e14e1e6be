/**
 * Triton's S3 model repository paths (spec §8, `--model-repository`):
 * - `s3://bucket/path/to/repository` — Amazon S3, the region from AWS_DEFAULT_REGION;
 * - `s3://host:port/bucket/path` — an S3-compatible server (Ceph RGW, MinIO, ...) over HTTP;
 * - `s3://https://host:port/bucket/path` (or `http://`) — the same with the scheme named.
 * A first segment of the form `host:port`, or a scheme, marks the endpoint form, as in Triton.
 */
import { ServerError } from '../../core/index.js';

export interface S3Location {
  /** The path as given (for messages and log fields). */
  readonly url: string;
  /** `http(s)://host:port` of an S3-compatible server; undefined = Amazon S3. */
  readonly endpoint: string | undefined;
  readonly bucket: string;
  /** Key prefix of the repository without slashes at either end ('' = the whole bucket). */
  readonly prefix: string;
}

export const isS3Path = (path: string): boolean => path.startsWith('s3://');

const HOST_PORT = /^[0-9A-Za-z.-]+:\d{1,5}$/;
// S3's bucket naming rules (lower case, digits, dots, hyphens; 3-63 characters).
const BUCKET = /^[0-9a-z][0-9a-z.-]{1,61}[0-9a-z]$/;

export function parseS3Path(url: string): S3Location {
  const bad = (why: string): ServerError => ServerError.invalidArg(`invalid S3 model repository path '${url}': ${why}`);
  if (!isS3Path(url)) throw bad('expected s3://');
  let rest = url.slice('s3://'.length);
  let scheme: 'http' | 'https' | undefined;
  const named = /^(https?):\/\//.exec(rest);
  if (named !== null) {
    scheme = named[1] as 'http' | 'https';
    rest = rest.slice(named[0].length);
  }
  const parts = rest.split('/');
  let endpoint: string | undefined;
  if (scheme !== undefined || HOST_PORT.test(parts[0] ?? '')) {
    const host = parts.shift() ?? '';
    if (!/^[0-9A-Za-z.-]+(:\d{1,5})?$/.test(host)) throw bad(`'${host}' is not a host or host:port`);
    endpoint = `${scheme ?? 'http'}://${host}`;
  }
  const bucket = parts.shift() ?? '';
  if (!BUCKET.test(bucket)) throw bad(`'${bucket}' is not a valid bucket name`);
  const prefix = parts.filter((p) => p !== '').join('/');
  if (prefix.split('/').some((p) => p === '.' || p === '..')) throw bad("'.' and '..' are not allowed in the key prefix");
  return { url, endpoint, bucket, prefix };
}
