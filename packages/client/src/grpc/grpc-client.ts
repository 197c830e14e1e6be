/**
 * Triton gRPC client (inference.GRPCInferenceService) with the same surface as HttpClient, plus
 * bidirectional streaming, TLS / mutual TLS, keepalive, channel arguments and message compression.
 * Answers are converted to the HTTP client's shapes (numbers for shapes and counters, lists for maps).
 */
import {
  Metadata, credentials as grpcCredentials, type CallOptions as GrpcCallOptions, type ChannelCredentials, type ChannelOptions,
  type Client, type ClientDuplexStream, type ServiceError,
} from '@grpc/grpc-js';
import type { pb } from '@inferd/protocol';
import { InferenceServerError, GRPC_CODE } from '../errors.js';
import type { InferInput } from '../infer-input.js';
import type { InferResult } from '../infer-result.js';
import type {
  CallOptions, InferenceClient, InferenceStatistics, LoadModelOptions, LogSettings, ModelMetadata, ModelStatistics,
  RepositoryModel, ServerMetadata, SharedMemoryRegionStatus, TraceSettings, TraceSettingsUpdate, UnloadModelOptions,
} from '../types.js';
import { buildInferRequest, parseInferResponse, shmOutputNames, type GrpcInferOptions } from './infer-message.js';
import { InferStream } from './infer-stream.js';
import { inferenceServiceClient } from './service.js';

export interface GrpcTlsOptions {
  /** PEM root certificates to trust (default: the system's). */
  readonly rootCerts?: Uint8Array;
  /** PEM client key and certificate chain, for mutual TLS. */
  readonly privateKey?: Uint8Array;
  readonly certChain?: Uint8Array;
}

export interface GrpcKeepaliveOptions {
  readonly timeMs?: number;
  readonly timeoutMs?: number;
  readonly permitWithoutCalls?: boolean;
  readonly maxPingsWithoutData?: number;
}

export interface GrpcClientOptions {
  /** TLS (`true` = system roots); ignored when `credentials` is given. */
  readonly tls?: boolean | GrpcTlsOptions;
  /** Channel credentials built by the caller. */
  readonly credentials?: ChannelCredentials;
  readonly keepalive?: GrpcKeepaliveOptions;
  /** Compress request messages (grpc-js `grpc.default_compression_algorithm`). */
  readonly compression?: 'gzip' | 'deflate';
  /**
   * HTTP/2 flow-control window the client advertises, in bytes, for each stream and the connection
   * (grpc-js `grpc-node.flow_control_window`): how much the server may send before the client's
   * WINDOW_UPDATE. Default DEFAULT_GRPC_FLOW_CONTROL_WINDOW (4 MiB); grpc-js alone keeps HTTP/2's 64 KiB,
   * which caps one connection at about one window per round trip.
   */
  readonly flowControlWindow?: number;
  /** Extra grpc-js channel arguments (override the defaults). */
  readonly channelArgs?: ChannelOptions;
  /** Metadata sent with every call. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface StreamOptions {
  readonly headers?: Readonly<Record<string, string>>;
  /** Cancels the stream. */
  readonly signal?: AbortSignal;
}

/**
 * 4 MiB: several large replies (600 KiB tensors) in flight without waiting for WINDOW_UPDATEs. Not more:
 * Node's HTTP/2 stops reading while its own socket write is pending, on both ends of a Node-to-Node
 * connection, so windows larger than the socket buffers can absorb let both sides wait for each other for
 * good (seen with 16 MiB windows against inferd's gRPC server; see its http2-windows.ts).
 */
export const DEFAULT_GRPC_FLOW_CONTROL_WINDOW = 4 << 20;

type Unary = (req: unknown, md: Metadata, opts: GrpcCallOptions, cb: (err: ServiceError | null, res: unknown) => void) => { cancel(): void };

const COMPRESSION = { deflate: 1, gzip: 2 } as const;

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Counters arrive as decimal strings (longs: String): numbers everywhere but names, versions and types. */
function numbers<T>(value: unknown, key = ''): T {
  if (Array.isArray(value)) return value.map((v) => numbers(v)) as T;
  if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, numbers(v, k)])) as T;
  }
  if (typeof value === 'string' && /^\d+$/.test(value) && !['name', 'version', 'type'].includes(key)) return Number(value) as T;
  return value as T;
}

function settingValue(v: pb.LogSettingsResponse_SettingValue): string | number | boolean {
  switch (v.parameter_choice) {
    case 'bool_param':
      return v.bool_param!;
    case 'uint32_param':
      return v.uint32_param!;
    default:
      return v.string_param ?? '';
  }
}

export class GrpcClient implements InferenceClient {
  /** `host:port` the channel connects to. */
  readonly url: string;
  readonly #client: Client;
  readonly #headers: Readonly<Record<string, string>>;

  /** `url`: `host:port` (a `grpc://` or `grpcs://` prefix is dropped; `grpcs` turns TLS on). */
  constructor(url: string, options: GrpcClientOptions = {}) {
    const scheme = /^([a-z]+):\/\//i.exec(url)?.[1]?.toLowerCase();
    this.url = url.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
    this.#headers = options.headers ?? {};
    const tls = options.tls ?? scheme === 'grpcs';
    const creds = options.credentials
      ?? (tls === false
        ? grpcCredentials.createInsecure()
        : tls === true
          ? grpcCredentials.createSsl()
          : grpcCredentials.createSsl(
              tls.rootCerts === undefined ? null : toBuffer(tls.rootCerts),
              tls.privateKey === undefined ? null : toBuffer(tls.privateKey),
              tls.certChain === undefined ? null : toBuffer(tls.certChain),
            ));
    // Triton allows messages up to INT32_MAX: lift grpc-js's 4 MB receive limit.
    const args: ChannelOptions = {
      'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1,
      'grpc-node.flow_control_window': options.flowControlWindow ?? DEFAULT_GRPC_FLOW_CONTROL_WINDOW,
    };
    const k = options.keepalive;
    if (k?.timeMs !== undefined) args['grpc.keepalive_time_ms'] = k.timeMs;
    if (k?.timeoutMs !== undefined) args['grpc.keepalive_timeout_ms'] = k.timeoutMs;
    if (k?.permitWithoutCalls !== undefined) args['grpc.keepalive_permit_without_calls'] = Number(k.permitWithoutCalls);
    if (k?.maxPingsWithoutData !== undefined) args['grpc.http2.max_pings_without_data'] = k.maxPingsWithoutData;
    if (options.compression !== undefined) args['grpc.default_compression_algorithm'] = COMPRESSION[options.compression];
    const Ctor = inferenceServiceClient();
    this.#client = new Ctor(this.url, creds, { ...args, ...options.channelArgs });
  }

  #metadata(headers: Readonly<Record<string, string>> | undefined): Metadata {
    const md = new Metadata();
    for (const [k, v] of Object.entries({ ...this.#headers, ...headers })) md.set(k, v);
    return md;
  }

  /** One unary RPC; gRPC errors become InferenceServerError with the code and the server's message. */
  #unary<Res>(method: string, request: unknown, options: CallOptions = {}): Promise<Res> {
    const { signal, timeoutMs } = options;
    if (signal?.aborted) return Promise.reject(new InferenceServerError('Request was aborted by the caller', { code: GRPC_CODE.CANCELLED }));
    return new Promise<Res>((resolve, reject) => {
      const fn = (this.#client as unknown as Record<string, Unary>)[method]!;
      const callOptions: GrpcCallOptions = timeoutMs === undefined ? {} : { deadline: Date.now() + timeoutMs };
      let aborted = false;
      const onAbort = () => {
        aborted = true;
        call.cancel();
      };
      const call = fn.call(this.#client, request, this.#metadata(options.headers), callOptions, (err, res) => {
        signal?.removeEventListener('abort', onAbort);
        if (err === null) resolve(res as Res);
        else if (aborted) reject(new InferenceServerError('Request was aborted by the caller', { code: GRPC_CODE.CANCELLED, cause: err }));
        else if (err.code === GRPC_CODE.DEADLINE_EXCEEDED && timeoutMs !== undefined) {
          reject(new InferenceServerError(`Deadline Exceeded: no answer within ${timeoutMs} ms`, { code: GRPC_CODE.DEADLINE_EXCEEDED, cause: err }));
        } else reject(new InferenceServerError(err.details || err.message, { code: err.code, cause: err }));
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async isServerLive(options?: CallOptions): Promise<boolean> {
    return (await this.#unary<pb.ServerLiveResponse>('ServerLive', {}, options)).live;
  }

  async isServerReady(options?: CallOptions): Promise<boolean> {
    return (await this.#unary<pb.ServerReadyResponse>('ServerReady', {}, options)).ready;
  }

  /** False also when the server does not know the model or version (as HttpClient's non-200). */
  async isModelReady(model: string, version?: string | number, options?: CallOptions): Promise<boolean> {
    try {
      return (await this.#unary<pb.ModelReadyResponse>('ModelReady', { name: model, version: String(version ?? '') }, options)).ready;
    } catch (err) {
      if (err instanceof InferenceServerError && (err.code === GRPC_CODE.NOT_FOUND || err.code === GRPC_CODE.INVALID_ARGUMENT)) return false;
      throw err;
    }
  }

  async getServerMetadata(options?: CallOptions): Promise<ServerMetadata> {
    const r = await this.#unary<pb.ServerMetadataResponse>('ServerMetadata', {}, options);
    return { name: r.name, version: r.version, extensions: r.extensions };
  }

  async getModelMetadata(model: string, version?: string | number, options?: CallOptions): Promise<ModelMetadata> {
    const r = await this.#unary<pb.ModelMetadataResponse>('ModelMetadata', { name: model, version: String(version ?? '') }, options);
    const tensors = (list: pb.ModelMetadataResponse_TensorMetadata[]) => list.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape.map(Number) }));
    return { name: r.name, versions: r.versions, platform: r.platform, inputs: tensors(r.inputs), outputs: tensors(r.outputs) };
  }

  /** The ModelConfig message as decoded (field names as in the .proto, enums as names, 64-bit values as strings). */
  async getModelConfig(model: string, version?: string | number, options?: CallOptions): Promise<Record<string, unknown>> {
    const r = await this.#unary<pb.ModelConfigResponse>('ModelConfig', { name: model, version: String(version ?? '') }, options);
    return r.config as unknown as Record<string, unknown>;
  }

  async getInferenceStatistics(model?: string, version?: string | number, options?: CallOptions): Promise<InferenceStatistics> {
    const r = await this.#unary<pb.ModelStatisticsResponse>('ModelStatistics', { name: model ?? '', version: String(version ?? '') }, options);
    return { model_stats: numbers<ModelStatistics[]>(r.model_stats) };
  }

  async getModelRepositoryIndex(options: CallOptions & { readonly ready?: boolean } = {}): Promise<RepositoryModel[]> {
    const r = await this.#unary<pb.RepositoryIndexResponse>('RepositoryIndex', { repository_name: '', ready: options.ready ?? false }, options);
    return r.models.map((m) => ({
      name: m.name,
      ...(m.version === '' ? {} : { version: m.version }),
      ...(m.state === '' ? {} : { state: m.state }),
      ...(m.reason === '' ? {} : { reason: m.reason }),
    }));
  }

  async loadModel(model: string, options: LoadModelOptions = {}): Promise<void> {
    const parameters: Record<string, pb.ModelRepositoryParameterInit> = {};
    if (options.config !== undefined) {
      parameters.config = { string_param: typeof options.config === 'string' ? options.config : JSON.stringify(options.config) };
    }
    for (const [path, bytes] of Object.entries(options.files ?? {})) parameters[`file:${path}`] = { bytes_param: toBuffer(bytes) };
    await this.#unary('RepositoryModelLoad', { repository_name: '', model_name: model, parameters }, options);
  }

  async unloadModel(model: string, options: UnloadModelOptions = {}): Promise<void> {
    const parameters: Record<string, pb.ModelRepositoryParameterInit> = {};
    if (options.unloadDependents !== undefined) parameters.unload_dependents = { bool_param: options.unloadDependents };
    await this.#unary('RepositoryModelUnload', { repository_name: '', model_name: model, parameters }, options);
  }

  async getSystemSharedMemoryStatus(region?: string, options?: CallOptions): Promise<SharedMemoryRegionStatus[]> {
    const r = await this.#unary<pb.SystemSharedMemoryStatusResponse>('SystemSharedMemoryStatus', { name: region ?? '' }, options);
    return Object.values(r.regions).map((s) => ({ name: s.name, key: s.key, offset: Number(s.offset), byte_size: Number(s.byte_size) }));
  }

  async registerSystemSharedMemory(name: string, key: string, byteSize: number, offset = 0, options?: CallOptions): Promise<void> {
    await this.#unary('SystemSharedMemoryRegister', { name, key, offset, byte_size: byteSize }, options);
  }

  async unregisterSystemSharedMemory(name?: string, options?: CallOptions): Promise<void> {
    await this.#unary('SystemSharedMemoryUnregister', { name: name ?? '' }, options);
  }

  static #trace(r: pb.TraceSettingResponse): TraceSettings {
    return Object.fromEntries(Object.entries(r.settings).map(([k, v]) => [k, k === 'trace_level' ? v.value : (v.value[0] ?? '')]));
  }

  async getTraceSettings(model?: string, options?: CallOptions): Promise<TraceSettings> {
    return GrpcClient.#trace(await this.#unary<pb.TraceSettingResponse>('TraceSetting', { settings: {}, model_name: model ?? '' }, options));
  }

  /** `null` sends an empty value: the model's setting reverts to the global one. */
  async updateTraceSettings(settings: TraceSettingsUpdate, model?: string, options?: CallOptions): Promise<TraceSettings> {
    const values = Object.fromEntries(Object.entries(settings).map(([k, v]) => [
      k, { value: v === null ? [] : Array.isArray(v) ? v : [String(v)] },
    ]));
    return GrpcClient.#trace(await this.#unary<pb.TraceSettingResponse>('TraceSetting', { settings: values, model_name: model ?? '' }, options));
  }

  async getLogSettings(options?: CallOptions): Promise<LogSettings> {
    const r = await this.#unary<pb.LogSettingsResponse>('LogSettings', { settings: {} }, options);
    return Object.fromEntries(Object.entries(r.settings).map(([k, v]) => [k, settingValue(v)]));
  }

  async updateLogSettings(settings: LogSettings, options?: CallOptions): Promise<LogSettings> {
    const values = Object.fromEntries(Object.entries(settings).map(([k, v]) => [
      k, typeof v === 'boolean' ? { bool_param: v } : typeof v === 'number' ? { uint32_param: v } : { string_param: v },
    ]));
    const r = await this.#unary<pb.LogSettingsResponse>('LogSettings', { settings: values }, options);
    return Object.fromEntries(Object.entries(r.settings).map(([k, v]) => [k, settingValue(v)]));
  }

  /** Runs one inference with ModelInfer (decoupled models need `stream()`). */
  async infer(model: string, inputs: readonly InferInput[], options: GrpcInferOptions = {}): Promise<InferResult<pb.ModelInferResponse>> {
    const res = await this.#unary<pb.ModelInferResponse>('ModelInfer', buildInferRequest(model, inputs, options), options);
    return parseInferResponse(res, shmOutputNames(options));
  }

  /** Opens a ModelStreamInfer stream: `send()` requests, `for await` the responses. */
  stream(options: StreamOptions = {}): InferStream {
    const open = (this.#client as unknown as Record<string, (md: Metadata) => ClientDuplexStream<pb.ModelInferRequestInit, pb.ModelStreamInferResponse>>)
      .ModelStreamInfer!;
    const s = new InferStream(open.call(this.#client, this.#metadata(options.headers)));
    if (options.signal !== undefined) {
      if (options.signal.aborted) s.cancel();
      else options.signal.addEventListener('abort', () => s.cancel(), { once: true });
    }
    return s;
  }

  close(): void {
    this.#client.close();
  }
}
