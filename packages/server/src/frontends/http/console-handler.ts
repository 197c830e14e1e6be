/**
 * `/console` on the HTTP port: the web console's files and the two feeds it needs that the KServe API
 * has no route for on this port: the Prometheus text (the metrics port is another origin) and the last
 * finished traces. Every other thing the console shows comes from the ordinary `/v2` routes. Reached only
 * when the KServe route table did not match, so inference requests never pay for it.
 */
import type { IncomingMessage } from 'node:http';
import type { InferenceServer } from '../../core/index.js';
import { ConsoleStatic } from './console-static.js';
import { errorMessageReply, jsonReply, type Reply } from './reply.js';

export interface ConsoleOptions {
  /** The built console's folder (tests); default `<package>/dist/console`. */
  readonly dir?: string;
  /** The same text as `GET /metrics` on the metrics port; absent with --allow-metrics=false. */
  readonly metricsText?: () => Promise<string>;
}

export function isConsolePath(path: string): boolean {
  return path === '/console' || path.startsWith('/console/');
}

export class ConsoleHandler {
  readonly #server: InferenceServer;
  readonly #options: ConsoleOptions;
  readonly #static: ConsoleStatic;

  constructor(server: InferenceServer, options: ConsoleOptions) {
    this.#server = server;
    this.#options = options;
    this.#static = new ConsoleStatic(options.dir);
  }

  async reply(path: string, req: IncomingMessage): Promise<Reply> {
    if (path === '/console/api/metrics') {
      const text = this.#options.metricsText;
      if (text === undefined) return errorMessageReply(404, 'metrics are off (--allow-metrics=false)');
      return { status: 200, body: await text(), contentType: 'text/plain; charset=utf-8', headers: { 'Cache-Control': 'no-store' } };
    }
    if (path === '/console/api/traces') {
      const traces = this.#server.tracer?.recent?.() ?? [];
      return { ...jsonReply(JSON.stringify({ traces })), headers: { 'Cache-Control': 'no-store' } };
    }
    const inm = req.headers['if-none-match'];
    return this.#static.reply(path, req.method, typeof inm === 'string' ? inm : undefined);
  }
}
