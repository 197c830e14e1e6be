/**
 * Test support: a real InferenceServer over the fixture resolver behind a real HttpFrontend on an
 * ephemeral port, and a node:http client that returns status, headers and raw body bytes.
 */
import http from 'node:http';
import { InferenceServer } from '../../src/core/index.js';
import { HttpFrontend, type HttpFrontendOptions } from '../../src/frontends/http/index.js';
import { FIXTURE_MODELS, FixtureResolver, type FixtureModelDef } from './fixture-resolver.js';

export interface Harness {
  readonly port: number;
  readonly server: InferenceServer;
  readonly resolver: FixtureResolver;
  readonly frontend: HttpFrontend;
  close(): Promise<void>;
}

export async function startHarness(
  options: Partial<HttpFrontendOptions> = {},
  models: readonly FixtureModelDef[] = FIXTURE_MODELS,
): Promise<Harness> {
  const resolver = await FixtureResolver.create(models);
  const server = new InferenceServer({ resolver });
  const frontend = new HttpFrontend(server, { port: 0, address: '127.0.0.1', maxInputSize: 64 << 20, ...options });
  const { port } = await frontend.listen();
  return {
    port, server, resolver, frontend,
    async close() {
      await frontend.close();
      await server.shutdown(1000);
    },
  };
}

export interface HttpResult {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** The body as UTF-8 text. */
  readonly text: string;
}

export interface RequestOptions {
  readonly headers?: Record<string, string | number>;
  readonly body?: string | Uint8Array;
  /** Send the body with chunked transfer encoding (no Content-Length). */
  readonly chunked?: boolean;
  readonly agent?: http.Agent | false;
}

export function request(port: number, method: string, path: string, opts: RequestOptions = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...opts.headers };
    const body = opts.body;
    if (body !== undefined && !opts.chunked) headers['Content-Length'] = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    const req = http.request(
      { host: '127.0.0.1', port, method, path, headers, agent: opts.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const buf = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buf, text: buf.toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

/** POST a JSON infer request (body = JSON.stringify(payload)). */
export function inferJson(port: number, model: string, payload: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
  return request(port, 'POST', `/v2/models/${model}/infer`, { body: JSON.stringify(payload), headers });
}

/** POST a binary-extension infer request: JSON header + blobs. */
export function inferBinary(
  port: number,
  model: string,
  header: unknown,
  blobs: readonly Uint8Array[],
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  const head = Buffer.from(JSON.stringify(header));
  const body = Buffer.concat([head, ...blobs]);
  return request(port, 'POST', `/v2/models/${model}/infer`, {
    body,
    headers: { 'Inference-Header-Content-Length': String(head.byteLength), ...headers },
  });
}

/** Splits a binary-extension response into its parsed JSON header and the bytes after it. */
export function splitResponse(r: HttpResult): { json: any; binary: Buffer } {
  const len = r.headers['inference-header-content-length'];
  if (len === undefined) return { json: JSON.parse(r.text), binary: Buffer.alloc(0) };
  const n = Number(len);
  return { json: JSON.parse(r.body.subarray(0, n).toString('utf8')), binary: r.body.subarray(n) };
}

export function int32Bytes(values: readonly number[]): Buffer {
  return Buffer.from(new Int32Array(values).buffer);
}

export function range(n: number, f: (i: number) => number = (i) => i): number[] {
  return Array.from({ length: n }, (_, i) => f(i));
}
