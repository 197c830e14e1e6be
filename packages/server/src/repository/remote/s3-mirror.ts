/**
 * A local copy of one S3 model repository, brought up to date by `sync()`: objects that are new or whose
 * ETag or size changed are downloaded, local files whose objects are gone are removed, so the repository
 * scanner, the poll fingerprints and the backends all work on plain files. Keys ending in `/` (the
 * "folder" markers consoles and `aws s3api put-object --key m/1/` make) become directories, so an empty
 * version directory survives the trip.
 *
 * Credentials come from the AWS SDK's default chain, which reads Triton's variables AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (and AWS_PROFILE / shared files); the region from
 * AWS_DEFAULT_REGION as Triton, else AWS_REGION, else us-east-1. The SDK is imported on the first sync
 * only, so servers without S3 repositories never load it.
 */
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { ServerError } from '../../core/index.js';
import type { S3Location } from './s3-location.js';

/** What the last sync saw of each file: downloaded again only when one of these changes. */
type Manifest = Record<string, { etag: string; size: number }>;

export interface SyncReport {
  readonly downloaded: number;
  readonly removed: number;
  readonly files: number;
}

/** Objects fetched at once: enough to hide round trips, few enough not to flood a small gateway. */
const PARALLEL_DOWNLOADS = 8;

export class S3Mirror {
  readonly location: S3Location;
  /** The repository directory the manager scans. */
  readonly dir: string;
  readonly #manifestPath: string;
  #client: S3Client | undefined;
  #sdk: typeof import('@aws-sdk/client-s3') | undefined;

  /** `root` holds `repo/` (the copy) and `manifest.json`; it is created if needed. */
  constructor(location: S3Location, root: string) {
    this.location = location;
    this.dir = join(root, 'repo');
    this.#manifestPath = join(root, 'manifest.json');
    mkdirSync(this.dir, { recursive: true });
  }

  async #s3(): Promise<{ client: S3Client; sdk: typeof import('@aws-sdk/client-s3') }> {
    this.#sdk ??= await import('@aws-sdk/client-s3');
    const env = process.env;
    this.#client ??= new this.#sdk.S3Client({
      region: env.AWS_DEFAULT_REGION || env.AWS_REGION || 'us-east-1',
      // S3-compatible servers are addressed by path (host:port/bucket), as Triton does.
      ...(this.location.endpoint === undefined ? {} : { endpoint: this.location.endpoint, forcePathStyle: true }),
      // Only the checksums S3 itself requires: older S3-compatible servers reject the newer trailers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    return { client: this.#client, sdk: this.#sdk };
  }

  /** Lists the whole prefix first, so a listing error changes nothing on disk. */
  async sync(): Promise<SyncReport> {
    const { client, sdk } = await this.#s3();
    const { bucket, prefix } = this.location;
    const keyPrefix = prefix === '' ? '' : `${prefix}/`;
    const files = new Map<string, { key: string; etag: string; size: number }>();
    const dirs = new Set<string>();
    let token: string | undefined;
    try {
      do {
        const page = await client.send(new sdk.ListObjectsV2Command({
          Bucket: bucket, ...(keyPrefix === '' ? {} : { Prefix: keyPrefix }), ...(token === undefined ? {} : { ContinuationToken: token }),
        }));
        for (const o of page.Contents ?? []) {
          const rel = (o.Key ?? '').slice(keyPrefix.length);
          if (rel === '' || !safeRelative(rel)) continue;
          if (rel.endsWith('/')) dirs.add(rel.slice(0, -1));
          else files.set(rel, { key: o.Key!, etag: o.ETag ?? '', size: o.Size ?? 0 });
        }
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
    } catch (err) {
      throw ServerError.internal(`failed to list ${this.location.url}: ${describe(err)}`);
    }

    const old = this.#readManifest();
    const manifest: Manifest = {};
    const todo = [...files].filter(([rel, f]) => {
      const before = old[rel];
      const same = before !== undefined && before.etag === f.etag && before.size === f.size && existsSync(join(this.dir, rel));
      if (same) manifest[rel] = before;
      return !same;
    });
    for (const d of dirs) mkdirSync(join(this.dir, d), { recursive: true });
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < todo.length) {
        const [rel, f] = todo[next++]!;
        await this.#download(client, sdk, f.key, rel);
        manifest[rel] = { etag: f.etag, size: f.size };
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(PARALLEL_DOWNLOADS, todo.length) }, worker));
    } finally {
      // What did arrive is recorded even when another download failed, so the next sync skips it.
      this.#writeManifest({ ...old, ...manifest });
    }
    const removed = this.#prune(new Set(files.keys()), dirs);
    this.#writeManifest(manifest);
    return { downloaded: todo.length, removed, files: files.size };
  }

  async #download(client: S3Client, sdk: typeof import('@aws-sdk/client-s3'), key: string, rel: string): Promise<void> {
    const target = join(this.dir, rel);
    mkdirSync(dirname(target), { recursive: true });
    // Written beside the target and renamed: a scan never sees half a model file.
    const partial = `${target}.inferd-partial`;
    try {
      const res = await client.send(new sdk.GetObjectCommand({ Bucket: this.location.bucket, Key: key }));
      if (!(res.Body instanceof Readable)) throw new Error('no body in the response');
      await pipeline(res.Body, createWriteStream(partial));
      renameSync(partial, target);
    } catch (err) {
      rmSync(partial, { force: true });
      throw ServerError.internal(`failed to download s3://${this.location.bucket}/${key} of ${this.location.url}: ${describe(err)}`);
    }
  }

  /** Removes local files without an object and directories with neither files nor a marker below them. */
  #prune(files: ReadonlySet<string>, markers: ReadonlySet<string>): number {
    let removed = 0;
    const walk = (relDir: string): boolean => {
      const abs = relDir === '' ? this.dir : join(this.dir, relDir);
      let keep = relDir === '' || markers.has(relDir);
      for (const e of readdirSync(abs, { withFileTypes: true })) {
        const rel = relDir === '' ? e.name : `${relDir}/${e.name}`;
        if (e.isDirectory()) {
          if (walk(rel)) keep = true;
        } else if (files.has(rel)) {
          keep = true;
        } else {
          rmSync(join(abs, e.name), { force: true });
          removed++;
        }
      }
      if (!keep) rmdirSync(abs);
      return keep;
    };
    walk('');
    return removed;
  }

  #readManifest(): Manifest {
    try {
      return JSON.parse(readFileSync(this.#manifestPath, 'utf8')) as Manifest;
    } catch {
      return {};
    }
  }

  #writeManifest(m: Manifest): void {
    writeFileSync(this.#manifestPath, JSON.stringify(m));
  }
}

/** A key that stays inside the copy (no `..`, no absolute or backslash paths). */
function safeRelative(rel: string): boolean {
  return !rel.startsWith('/') && !rel.includes('\\') && !rel.includes('\0') && !rel.split('/').some((p) => p === '..' || p === '.');
}

/** The S3 error code and message (e.g. `InvalidAccessKeyId`, `NoSuchBucket`), else the error's text. */
function describe(err: unknown): string {
  const e = err as { name?: string; message?: string; Code?: string };
  const code = e.Code ?? e.name;
  const message = e.message ?? String(err);
  return code !== undefined && code !== 'Error' && !message.startsWith(code) ? `${code}: ${message}` : message;
}
