/**
 * KServe v2 / Triton HTTP client on `fetch` only (Node >= 20 and browsers): health, metadata, config,
 * statistics, repository, shared memory, trace/log settings and inference with the binary tensor
 * extension, classification, compression, timeouts and AbortSignal.
 */
import { INFERENCE_HEADER_CONTENT_LENGTH, parseHeaderLength } from '@inferd/protocol';
import { InferenceServerError, GRPC_CODE } from '../errors.js';
import type { InferInput } from '../infer-input.js';
import type { InferResult } from '../infer-result.js';
import type {
  CallOptions, InferOptions, InferenceClient, InferenceStatistics, LoadModelOptions, LogSettings, ModelMetadata,
  RepositoryModel, ServerMetadata, SharedMemoryRegionStatus, TraceSettings, TraceSettingsUpdate, UnloadModelOptions,
} from '../types.js';
import { callSignal } from './call-signal.js';
import { compress } from './compression.js';
import { buildInferBody } from './infer-request.js';
import { parseInferResponse, type HttpInferResponse } from './infer-response.js';

export interface HttpClientOptions {
  /** Headers sent with every request. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The fetch implementation (default: the global one). */
  readonly fetch?: typeof fetch;
}

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Uint8Array;
}

function versionPath(model: string, version: string | number | undefined): string {
  const v = version === undefined || version === '' ? '' : `/versions/${encodeURIComponent(String(version))}`;
  return `/v2/models/${encodeURIComponent(model)}${v}`;
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.byteLength; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export class HttpClient implements InferenceClient {
  /** Base URL without a trailing slash, e.g. `http://localhost:8000`. */
  readonly url: string;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #fetch: typeof fetch;

  /** `url`: `host:port` (http assumed) or a full `http(s)://host:port[/prefix]`. */
  constructor(url: string, options: HttpClientOptions = {}) {
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`;
    this.url = withScheme.replace(/\/+$/, '');
    this.#headers = options.headers ?? {};
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** Sends one request; rejects only when no HTTP answer came (network, abort, timeout). */
  async #send(method: string, path: string, options: CallOptions, body?: Uint8Array | string, headers: Record<string, string> = {}): Promise<Answer> {
    const signal = callSignal(options);
    try {
      const res = await this.#fetch(`${this.url}${path}`, {
        method,
        // fetch (undici) asks for gzip by default and the server would then compress every answer; ask only
        // when the caller chose compression, as tritonclient does. (Browsers ignore this header.)
        headers: { 'Accept-Encoding': 'identity', ...this.#headers, ...options.headers, ...headers },
        ...(body === undefined ? {} : { body }),
        ...(signal.signal === undefined ? {} : { signal: signal.signal }),
      });
      const bytes = new Uint8Array(await res.arrayBuffer());
      return { status: res.status, headers: res.headers, body: bytes };
    } catch (err) {
      throw signal.error(err)
        ?? new InferenceServerError(`failed to reach ${this.url}: ${(err as Error).message}`, { code: GRPC_CODE.UNAVAILABLE, cause: err });
    } finally {
      signal.dispose();
    }
  }

  /** Throws the server's `{"error": ...}` as an InferenceServerError for any non-2xx answer. */
  static #check(a: Answer): Answer {
    if (a.status >= 200 && a.status < 300) return a;
    const text = new TextDecoder().decode(a.body);
    let message = text;
    try {
      const parsed = JSON.parse(text) as { error?: unknown };
      if (typeof parsed.error === 'string') message = parsed.error;
    } catch { /* not JSON: keep the text */ }
    throw new InferenceServerError(message === '' ? `HTTP ${a.status}` : message, { status: a.status });
  }

  async #json<T>(method: string, path: string, options: CallOptions, body?: unknown): Promise<T> {
    const a = HttpClient.#check(await this.#send(method, path, options, body === undefined ? undefined : JSON.stringify(body)));
    const text = new TextDecoder().decode(a.body);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  async #probe(path: string, options: CallOptions): Promise<boolean> {
    return (await this.#send('GET', path, options)).status === 200;
  }

  isServerLive(options: CallOptions = {}): Promise<boolean> {
    return this.#probe('/v2/health/live', options);
  }

  isServerReady(options: CallOptions = {}): Promise<boolean> {
    return this.#probe('/v2/health/ready', options);
  }

  isModelReady(model: string, version?: string | number, options: CallOptions = {}): Promise<boolean> {
    return this.#probe(`${versionPath(model, version)}/ready`, options);
  }

  getServerMetadata(options: CallOptions = {}): Promise<ServerMetadata> {
    return this.#json('GET', '/v2', options);
  }

  getModelMetadata(model: string, version?: string | number, options: CallOptions = {}): Promise<ModelMetadata> {
    return this.#json('GET', versionPath(model, version), options);
  }

  getModelConfig(model: string, version?: string | number, options: CallOptions = {}): Promise<Record<string, unknown>> {
    return this.#json('GET', `${versionPath(model, version)}/config`, options);
  }

  getInferenceStatistics(model?: string, version?: string | number, options: CallOptions = {}): Promise<InferenceStatistics> {
    const path = model === undefined || model === '' ? '/v2/models/stats' : `${versionPath(model, version)}/stats`;
    return this.#json('GET', path, options);
  }

  getModelRepositoryIndex(options: CallOptions & { readonly ready?: boolean } = {}): Promise<RepositoryModel[]> {
    return this.#json('POST', '/v2/repository/index', options, options.ready === undefined ? {} : { ready: options.ready });
  }

  async loadModel(model: string, options: LoadModelOptions = {}): Promise<void> {
    const parameters: Record<string, string> = {};
    if (options.config !== undefined) {
      parameters.config = typeof options.config === 'string' ? options.config : JSON.stringify(options.config);
    }
    for (const [path, bytes] of Object.entries(options.files ?? {})) parameters[`file:${path}`] = toBase64(bytes);
    const body = Object.keys(parameters).length === 0 ? undefined : { parameters };
    await this.#json('POST', `/v2/repository/models/${encodeURIComponent(model)}/load`, options, body);
  }

  async unloadModel(model: string, options: UnloadModelOptions = {}): Promise<void> {
    const body = options.unloadDependents === undefined ? undefined : { parameters: { unload_dependents: options.unloadDependents } };
    await this.#json('POST', `/v2/repository/models/${encodeURIComponent(model)}/unload`, options, body);
  }

  getSystemSharedMemoryStatus(region?: string, options: CallOptions = {}): Promise<SharedMemoryRegionStatus[]> {
    const r = region === undefined || region === '' ? '' : `/region/${encodeURIComponent(region)}`;
    return this.#json('GET', `/v2/systemsharedmemory${r}/status`, options);
  }

  async registerSystemSharedMemory(name: string, key: string, byteSize: number, offset = 0, options: CallOptions = {}): Promise<void> {
    await this.#json('POST', `/v2/systemsharedmemory/region/${encodeURIComponent(name)}/register`, options, {
      key, offset, byte_size: byteSize,
    });
  }

  async unregisterSystemSharedMemory(name?: string, options: CallOptions = {}): Promise<void> {
    const r = name === undefined || name === '' ? '' : `/region/${encodeURIComponent(name)}`;
    await this.#json('POST', `/v2/systemsharedmemory${r}/unregister`, options);
  }

  getTraceSettings(model?: string, options: CallOptions = {}): Promise<TraceSettings> {
    return this.#json('GET', model === undefined ? '/v2/trace/setting' : `${versionPath(model, undefined)}/trace/setting`, options);
  }

  updateTraceSettings(settings: TraceSettingsUpdate, model?: string, options: CallOptions = {}): Promise<TraceSettings> {
    const path = model === undefined ? '/v2/trace/setting' : `${versionPath(model, undefined)}/trace/setting`;
    const body = Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, typeof v === 'number' ? String(v) : v]));
    return this.#json('POST', path, options, body);
  }

  getLogSettings(options: CallOptions = {}): Promise<LogSettings> {
    return this.#json('GET', '/v2/logging', options);
  }

  updateLogSettings(settings: LogSettings, options: CallOptions = {}): Promise<LogSettings> {
    return this.#json('POST', '/v2/logging', options, settings);
  }

  /** Runs one inference; server errors reject with the server's status and message. */
  async infer(model: string, inputs: readonly InferInput[], options: InferOptions = {}): Promise<InferResult<HttpInferResponse>> {
    const { body, headerLength } = buildInferBody(inputs, options);
    const headers: Record<string, string> = {};
    if (headerLength !== undefined) headers[INFERENCE_HEADER_CONTENT_LENGTH] = String(headerLength);
    let payload = body;
    if (options.compression !== undefined) {
      payload = await compress(body, options.compression);
      headers['Content-Encoding'] = options.compression;
      headers['Accept-Encoding'] = options.compression;
    }
    const a = HttpClient.#check(await this.#send('POST', `${versionPath(model, options.version)}/infer`, options, payload, headers));
    const len = a.headers.get(INFERENCE_HEADER_CONTENT_LENGTH);
    return parseInferResponse(a.body, len === null ? undefined : parseHeaderLength(len));
  }

  /** Nothing to release: fetch pools its own connections. Present for parity with GrpcClient. */
  close(): void {}
}
