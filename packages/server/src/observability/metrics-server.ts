/**
 * The metrics listener (`--metrics-port` 8002, `--metrics-address`): `GET /metrics` or `/metrics/`
 * answers the Prometheus text; another method on that path is 405, any other path 404 (spec §9).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { METRICS_CONTENT_TYPE, type MetricsRegistry } from './metrics.js';

export interface MetricsServerOptions {
  readonly port: number;
  readonly address: string;
  readonly log?: { info(message: string): void; error(message: string): void };
}

export class MetricsServer {
  readonly #metrics: MetricsRegistry;
  readonly #options: MetricsServerOptions;
  readonly #server: Server;

  constructor(metrics: MetricsRegistry, options: MetricsServerOptions) {
    this.#metrics = metrics;
    this.#options = options;
    this.#server = createServer((req, res) => this.#handle(req, res));
    // Scrapers keep connections open between scrapes; do not let one hold shutdown.
    this.#server.keepAliveTimeout = 5000;
  }

  /** Starts listening and sampling; resolves with the bound address (port 0 = ephemeral). */
  listen(): Promise<{ address: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#options.port, this.#options.address, () => {
        this.#server.off('error', reject);
        const a = this.#server.address() as AddressInfo;
        this.#metrics.start();
        // Triton's start-up line; tests read the bound port from it.
        this.#options.log?.info(`Started Metrics Service at ${a.address}:${a.port}`);
        resolve({ address: a.address, port: a.port });
      });
    });
  }

  close(): Promise<void> {
    this.#metrics.close();
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' && path !== '/metrics/') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not Found');
      return;
    }
    if (req.method !== 'GET') {
      res.writeHead(405, { 'Content-Type': 'text/plain', Allow: 'GET' }).end('Method Not Allowed');
      return;
    }
    this.#metrics.text().then(
      (body) => res.writeHead(200, { 'Content-Type': METRICS_CONTENT_TYPE }).end(body),
      (err: unknown) => {
        this.#options.log?.error(`metrics scrape failed: ${(err as Error).message}`);
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end('Internal Server Error');
      },
    );
  }
}
