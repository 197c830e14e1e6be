/**
 * The KServe v2 HTTP/REST frontend on node:http: the route table, body reading under the size limit,
 * dispatch to handlers, one `res.end` per reply. It talks to the server only through InferenceServer.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { INFERENCE_HEADER_CONTENT_LENGTH } from '@inferd/protocol';
import { nowNs, ServerError, type InferenceServer } from '../../core/index.js';
import { readBodyThen } from './body.js';
import type { HandlerContext, HttpCall } from './context.js';
import { handleInfer } from './handle-infer.js';
import { handleGenerate } from './handle-generate.js';
import { handleModelConfig, handleModelMetadata, handleModelReady, handleModelStats } from './handle-model.js';
import { handleRepositoryControl, handleRepositoryIndex } from './handle-repository.js';
import { handleHealth, handleLogging, handleServerMetadata, handleTrace } from './handle-server.js';
import { handleShm } from './handle-shm.js';
import { errorReply, NOT_FOUND, type Reply } from './reply.js';
import { matchRoute, type ModelAction, type Route } from './routes.js';
import { consoleRestriction, restrictionFailure } from './restricted.js';
import type { RestrictedApis } from '../common/restricted-apis.js';
import { ConsoleHandler, isConsolePath, type ConsoleOptions } from './console-handler.js';

export interface HttpFrontendOptions {
  /** 0 = ephemeral (tests). */
  port: number;
  /** '0.0.0.0' by default in the CLI. */
  address: string;
  /** `--http-max-input-size` in bytes (default 67108864); bounds the raw and the decompressed body. */
  maxInputSize: number;
  /** `--http-restricted-api`: groups answering only requests with the group's header (spec §4.6). */
  restrictedApis?: RestrictedApis;
  /** `--http-header-forward-pattern`: infer request headers whose name matches become string parameters. */
  headerForwardPattern?: RegExp;
  /** `fields`: structured values for `--log-format=json` (the message names them too). */
  log?: (level: 'info' | 'warning' | 'error' | 'verbose', message: string, fields?: Readonly<Record<string, string | number | boolean>>) => void;
  /** The web console at `/console` (`--allow-console`); absent = off (those paths are 404). */
  console?: ConsoleOptions;
}

const HEADER_KEY = INFERENCE_HEADER_CONTENT_LENGTH.toLowerCase();

/** Every route but infer, which replies through a callback (handle-infer.ts) and never reaches `dispatch`. */
type DispatchedRoute =
  | Exclude<Route, { kind: 'model' }>
  | (Extract<Route, { kind: 'model' }> & { readonly action: Exclude<ModelAction, 'infer'> });

function dispatch(ctx: HandlerContext, call: HttpCall, route: DispatchedRoute): Reply | Promise<Reply> {
  switch (route.kind) {
    case 'all-stats':
      return handleModelStats(ctx, call);
    case 'logging':
      return handleLogging(ctx, call);
    case 'server-metadata':
      return handleServerMetadata(ctx, call);
    case 'health':
      return handleHealth(ctx, call, route.probe);
    case 'shm':
      return handleShm(ctx, call, route.memory, route.region, route.action);
    case 'repository-index':
      return handleRepositoryIndex(ctx, call);
    case 'repository-control':
      return handleRepositoryControl(ctx, call, route.repository, route.model, route.action);
    case 'trace':
      return handleTrace(ctx, call);
    case 'model':
      switch (route.action) {
        case '':
          return handleModelMetadata(ctx, call, route.model, route.version);
        case 'ready':
          return handleModelReady(ctx, call, route.model, route.version);
        case 'config':
          return handleModelConfig(ctx, call, route.model, route.version);
        case 'stats':
          return handleModelStats(ctx, call, route.model, route.version);
        case 'trace/setting':
          return handleTrace(ctx, call, route.model);
        default:
          return handleGenerate(ctx, call, route.model, route.version, route.action === 'generate_stream');
      }
  }
}

function write(res: http.ServerResponse, reply: Reply, close: boolean): void {
  if (res.headersSent || res.destroyed) return;
  const body = reply.body ?? '';
  // A flat [name, value, ...] list: no merged header object per reply (none of a reply's own headers
  // is one of the three set here).
  const headers: (string | number)[] = [];
  if (reply.headers !== undefined) for (const name in reply.headers) headers.push(name, reply.headers[name]!);
  if (reply.contentType !== undefined) headers.push('Content-Type', reply.contentType);
  headers.push('Content-Length', typeof body === 'string' ? Buffer.byteLength(body) : byteLengthOf(body));
  if (close) headers.push('Connection', 'close');
  res.writeHead(reply.status, headers as string[]);
  if (typeof body === 'string' || !isParts(body)) {
    res.end(body);
    return;
  }
  // Corked: the parts leave in as few writes (writev) as the socket takes, each from its own memory.
  res.cork();
  for (const part of body) res.write(part);
  res.end();
  res.uncork();
}

function isParts(body: Uint8Array | readonly Uint8Array[]): body is readonly Uint8Array[] {
  return Array.isArray(body);
}

function byteLengthOf(body: Uint8Array | readonly Uint8Array[]): number {
  if (!isParts(body)) return body.byteLength;
  let n = 0;
  for (const part of body) n += part.byteLength;
  return n;
}

export class HttpFrontend {
  readonly #ctx: HandlerContext;
  readonly #options: HttpFrontendOptions;
  readonly #http: http.Server;
  readonly #console: ConsoleHandler | undefined;
  #closing = false;
  #closed: Promise<void> | undefined;

  constructor(server: InferenceServer, options: HttpFrontendOptions) {
    this.#ctx = { server, maxInputSize: options.maxInputSize };
    if (options.headerForwardPattern !== undefined) this.#ctx.headerForwardPattern = options.headerForwardPattern;
    this.#options = options;
    this.#console = options.console === undefined ? undefined : new ConsoleHandler(server, options.console);
    this.#http = http.createServer({ noDelay: true }, (req, res) => this.#handle(req, res));
  }

  listen(): Promise<{ address: string; port: number }> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.#http.once('error', onError);
      this.#http.listen(this.#options.port, this.#options.address, () => {
        this.#http.off('error', onError);
        const a = this.#http.address() as AddressInfo;
        this.#options.log?.('info', `Started HTTPService at ${a.address}:${a.port}`, { address: a.address, port: a.port });
        resolve({ address: a.address, port: a.port });
      });
    });
  }

  /** Stop accepting connections; resolves when in-flight requests are answered (idle keep-alive sockets closed). */
  close(): Promise<void> {
    if (this.#closed !== undefined) return this.#closed;
    this.#closing = true;
    this.#closed = new Promise((resolve) => {
      if (!this.#http.listening) {
        resolve();
        return;
      }
      this.#http.close(() => resolve());
      this.#http.closeIdleConnections();
    });
    return this.#closed;
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const route = matchRoute(path);
    if (route === undefined) {
      if (this.#console !== undefined && isConsolePath(path)) this.#handleConsole(path, req, res);
      else write(res, NOT_FOUND, this.#closing);
      return;
    }
    const closing = this.#closing;
    // Receive stamps for traces; untraced servers skip the clock reads.
    const recvStartNs = this.#ctx.server.tracer?.enabled === true ? nowNs() : 0;
    const headerLength = req.headers[HEADER_KEY];
    const what = headerLength === undefined ? 'Request JSON' : 'Request';
    // Binary tensors start after the JSON header: an assembled body puts them on an aligned offset.
    const alignAt = typeof headerLength === 'string' ? Number(headerLength) : 0;
    readBodyThen(req, this.#ctx.maxInputSize, what, (bodyErr, body, owned) => {
      if (bodyErr !== undefined) {
        // The rest of an oversized upload is not read: the connection ends with the reply.
        write(res, this.#failure(bodyErr, req), true);
        return;
      }
      const call: HttpCall = recvStartNs === 0 ? { req, res, body, owned } : { req, res, body, owned, recvStartNs, recvEndNs: nowNs() };
      const restricted = this.#options.restrictedApis;
      if (restricted !== undefined && restricted.size > 0) {
        const refusal = restrictionFailure(restricted, route, req);
        if (refusal !== undefined) {
          write(res, refusal, closing);
          return;
        }
      }
      if (route.kind === 'model' && route.action === 'infer') {
        handleInfer(this.#ctx, call, route.model, route.version, (err, reply) => {
          write(res, err === undefined && reply !== undefined ? reply : this.#failure(err, req), closing);
        });
        return;
      }
      void this.#handleOther(call, route as DispatchedRoute, closing);
    }, alignAt);
  }

  /** The web console: only for paths the KServe table did not match, so never on the inference path. */
  #handleConsole(path: string, req: http.IncomingMessage, res: http.ServerResponse): void {
    const closing = this.#closing;
    // Its pages are GETs: a body is drained, not read.
    req.resume();
    const refusal = this.#options.restrictedApis === undefined
      ? undefined
      : consoleRestriction(this.#options.restrictedApis, req);
    if (refusal !== undefined) {
      write(res, refusal, closing);
      return;
    }
    this.#console!.reply(path, req).then(
      (reply) => write(res, reply, closing),
      (err: unknown) => write(res, this.#failure(err, req), closing),
    );
  }

  async #handleOther(call: HttpCall, route: DispatchedRoute, close: boolean): Promise<void> {
    let reply: Reply;
    try {
      reply = await dispatch(this.#ctx, call, route);
    } catch (err) {
      reply = this.#failure(err, call.req);
    }
    write(call.res, reply, close);
  }

  #failure(err: unknown, req: http.IncomingMessage): Reply {
    if (!(err instanceof ServerError)) {
      this.#options.log?.('error', `HTTP ${req.method} ${req.url}: ${(err as Error)?.stack ?? String(err)}`);
    } else if (err.reason === 'UNSUPPORTED_ENCODING') {
      return errorReply(err, { 'Accept-Encoding': 'gzip, deflate' });
    }
    return errorReply(err);
  }
}
