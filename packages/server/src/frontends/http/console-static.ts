/**
 * The web console's files (built by packages/console into dist/console of this package) served under
 * `/console`. Nothing here runs for an inference request: the frontend reaches it only for paths the
 * KServe route table does not know. Files are read on the first console request and kept in memory.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorMessageReply, type Reply } from './reply.js';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
  /** Vite names files under assets/ by content hash: they never change at their URL. */
  readonly immutable: boolean;
}

/** Where the build puts the console: `<package>/dist/console`, next to this file's dist/frontends/http. */
export function defaultConsoleDir(): string {
  // ../../../ is the package root from both src/frontends/http (tsx) and dist/frontends/http.
  return fileURLToPath(new URL('../../../dist/console/', import.meta.url));
}

function walk(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

export class ConsoleStatic {
  readonly #dir: string;
  #files: Map<string, StaticFile> | undefined;

  constructor(dir = defaultConsoleDir()) {
    this.#dir = dir;
  }

  #load(): Map<string, StaticFile> {
    if (this.#files !== undefined) return this.#files;
    const files = new Map<string, StaticFile>();
    let paths: string[] = [];
    try {
      paths = walk(this.#dir, []);
    } catch {
      // Not built (a source checkout before `npm run build`): every path answers the 404 below.
    }
    for (const p of paths) {
      const rel = relative(this.#dir, p).split(sep).join('/');
      const body = readFileSync(p);
      const etag = `"${createHash('sha1').update(body).digest('base64url').slice(0, 16)}"`;
      const type = CONTENT_TYPES[extname(p)] ?? 'application/octet-stream';
      files.set(rel, { body, type, etag, immutable: rel.startsWith('assets/') });
    }
    this.#files = files;
    return files;
  }

  /**
   * The reply for `path` (below `/console`, query removed). `/console` redirects to `/console/` so the
   * page's relative asset URLs resolve; any other unknown path under it is the app (client-side tabs).
   */
  reply(path: string, method: string | undefined, ifNoneMatch: string | undefined): Reply {
    if (method !== 'GET' && method !== 'HEAD') return errorMessageReply(405, 'Method Not Allowed', { Allow: 'GET, HEAD' });
    if (path === '/console') return { status: 308, headers: { Location: '/console/' } };
    const rel = path.slice('/console/'.length);
    const files = this.#load();
    const file = files.get(rel === '' ? 'index.html' : rel) ?? (rel.includes('.') ? undefined : files.get('index.html'));
    if (file === undefined) {
      return errorMessageReply(404, files.size === 0 ? 'the web console is not built (npm run build)' : 'Not Found');
    }
    const headers: Record<string, string> = {
      ETag: file.etag,
      // The page itself is checked each time (a new build has new asset names); hashed assets are kept for a year.
      'Cache-Control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    };
    if (file.type.startsWith('text/html')) {
      // Everything the page loads is its own: no inline script, no other origin.
      headers['Content-Security-Policy'] =
        "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; connect-src 'self'";
    }
    if (ifNoneMatch === file.etag) return { status: 304, headers };
    // node leaves the body out of a HEAD reply and keeps its Content-Length.
    return { status: 200, body: file.body, contentType: file.type, headers };
  }
}
