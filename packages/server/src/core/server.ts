/**
 * InferenceServer: the in-process API and the only door into the server (like Triton's C API).
 * Frontends translate protocols into these calls; embedding apps call them directly.
 */
// size: the one door of core: lifecycle, every API and both infer paths share its private state.
export * from './metadata.js';
import { requestFinishChannel, requestStartChannel, type RequestFinishMessage, type RequestStartMessage } from './diagnostics.js';
import { classify } from './classification.js';
import { nowNs } from './clock.js';
import { ServerError } from './errors.js';
import { InferenceRequest, type InferenceRequestInit } from './request.js';
import { validateRequest } from './validate.js';
import { parseModelVersion } from './version.js';
import { INFERD_VERSION } from './release.js';
import { SERVER_EXTENSIONS, SERVER_VERSION, modelMetadataOf, type ModelMetadata, type ServerMetadata } from './metadata.js';
import { SystemSharedMemory } from './shared-memory.js';
import { CudaSharedMemory } from './cuda-shared-memory.js';
import type { CachedResponse, ResponseCache } from './response-cache.js';
import type { ModelIndexEntry, ModelLease, ModelResolver, ModelSpec, ServedModel } from './contracts.js';
import type { InferenceResponse, ResponseSink } from './response.js';
import type { ModelInvoker } from './invoker.js';
import {
  DEFAULT_LOG_SETTINGS, DEFAULT_TRACE_SETTINGS, type LogControl, type LogSettingsUpdate, type LogSettingsView, type RequestTrace,
  type TracedRequestInit, type Tracer, type TraceSettingUpdate, type TraceSettingsView,
} from './observability-hooks.js';

export interface InferenceServerOptions {
  /**
   * Where models come from. A function receives the server as the invoker its models use for BLS and
   * ensemble steps (the server exists before any model loads, as in Triton). A resolver with `start`
   * loads models: the server is then starting (live, not ready, refusing inference) until `start()`.
   */
  readonly resolver: ModelResolver | ((invoker: ModelInvoker) => ModelResolver);
  /** `--trace-config` (observability/trace-manager.ts); absent = tracing OFF and the trace API refused. */
  readonly tracer?: Tracer;
  /** The logger behind the logging API (spec §1.7); absent = fixed default settings. */
  readonly logControl?: LogControl;
  /** `--id`; reported as the server name. Default `triton`, so Triton clients see what they expect. */
  readonly id?: string;
  /** `--strict-readiness` (default true): ready only when every model version is READY. */
  readonly strictReadiness?: boolean;
  /** Client system shared memory regions (spec §1.8); default: a disabled registry. */
  readonly sharedMemory?: SystemSharedMemory;
  readonly cudaSharedMemory?: CudaSharedMemory; // CUDA regions (§1.8); default: no agent, sharedMemory's names
  /**
   * `--cache-config local,size=N`: the response cache shared by every model with
   * `response_cache { enable: true }` (spec §12). Absent = no cache; such models simply execute.
   */
  readonly responseCache?: ResponseCache;
}

/** Per-request cache state of a model that uses the cache: its key, lookup time and whether it hit. */
interface CacheUse {
  readonly key: string;
  readonly lookupNs: number;
  readonly hit: boolean;
}

/**
 * 'draining': told to stop (SIGTERM) and not ready any more, so load balancers and Kubernetes stop
 * routing here, but still serving what arrives during the grace delay; 'stopping': answering new
 * requests UNAVAILABLE while in-flight ones finish.
 */
type Lifecycle = 'starting' | 'serving' | 'draining' | 'stopping' | 'stopped';

export class InferenceServer implements ModelInvoker {
  readonly #resolver: ModelResolver;
  readonly #id: string;
  readonly #strictReadiness: boolean;
  readonly #cache: ResponseCache | undefined;
  /** Registry the frontends use for shm register/status/unregister and shm tensors. */
  readonly sharedMemory: SystemSharedMemory;
  readonly cudaSharedMemory: CudaSharedMemory; // stopped, with its agent, by `shutdown`
  /** Both registries, as infer requests resolve `shared_memory_region` names in either. */
  readonly shmRegistries: { readonly system: SystemSharedMemory; readonly cuda: CudaSharedMemory };
  readonly tracer: Tracer | undefined;
  readonly logControl: LogControl | undefined;
  #state: Lifecycle;
  #inflight = 0;
  #drained: (() => void) | undefined;

  constructor(options: InferenceServerOptions) {
    this.#resolver = typeof options.resolver === 'function' ? options.resolver(this) : options.resolver;
    this.#state = this.#resolver.start === undefined ? 'serving' : 'starting';
    this.tracer = options.tracer;
    this.logControl = options.logControl;
    this.#id = options.id ?? 'triton';
    this.#strictReadiness = options.strictReadiness ?? true;
    this.sharedMemory = options.sharedMemory ?? new SystemSharedMemory({ enabled: false });
    this.cudaSharedMemory = options.cudaSharedMemory ?? new CudaSharedMemory(this.sharedMemory);
    this.shmRegistries = { system: this.sharedMemory, cuda: this.cudaSharedMemory };
    this.#cache = options.responseCache;
  }

  /**
   * Loads the models (the resolver's start-up) and opens the server for inference. Resolves with the
   * names of models that failed to load; the caller decides whether that is fatal (--exit-on-error).
   */
  async start(): Promise<readonly string[]> {
    if (this.#state !== 'starting') throw ServerError.internal('the server has started already');
    const failed = await this.#resolver.start!();
    if (this.#state === 'starting') this.#state = 'serving';
    return failed;
  }

  /** Requests currently accepted and not yet finally answered. */
  get inflightCount(): number {
    return this.#inflight;
  }

  live(): boolean {
    return this.#state !== 'stopped';
  }

  ready(): boolean {
    if (this.#state !== 'serving') return false;
    return !this.#strictReadiness || this.#resolver.allModelsReady();
  }

  metadata(): ServerMetadata {
    return { name: this.#id, version: SERVER_VERSION, extensions: [...SERVER_EXTENSIONS], inferd_version: INFERD_VERSION };
  }

  /**
   * Model readiness (spec §1.1): true when READY and the backend probe agrees. An unknown, unloaded
   * or not-yet-READY model or version is simply not ready (false), as Triton's ModelIsReady answers
   * success with ready=false; only a malformed version string is an error (INVALID_ARG).
   */
  async modelReady(name: string, version?: string): Promise<boolean> {
    const requested = parseModelVersion(version);
    let lease: ModelLease;
    try {
      lease = this.#resolver.acquire(name, requested);
    } catch (err) {
      if (err instanceof ServerError && (err.code === 'NOT_FOUND' || err.code === 'UNAVAILABLE')) return false;
      throw err;
    }
    try {
      return lease.model.isReady === undefined ? true : await lease.model.isReady();
    } finally {
      lease.release();
    }
  }

  modelMetadata(name: string, version?: string): ModelMetadata {
    const requested = parseModelVersion(version);
    const spec = this.#withModel(name, version, (m) => m.spec);
    const versions =
      requested !== undefined
        ? [String(requested)]
        : this.#resolver
            .readyModels()
            .filter((m) => m.spec.name === name)
            .map((m) => m.spec.version)
            .sort((a, b) => a - b)
            .map(String);
    return modelMetadataOf(spec, versions);
  }

  /** The normalized config in Triton's /config JSON shape (spec §6.3). */
  modelConfig(name: string, version?: string): Readonly<Record<string, unknown>> {
    return this.#withModel(name, version, (m) => m.spec.configJson);
  }

  repositoryIndex(readyOnly = false): readonly ModelIndexEntry[] {
    return this.#resolver.index(readyOnly);
  }

  async loadModel(name: string, parameters: Readonly<Record<string, unknown>> = {}): Promise<void> {
    if (this.#state === 'starting') throw ServerError.of('SERVER_STARTING');
    await this.#resolver.load(name, parameters);
  }

  async unloadModel(name: string, parameters: Readonly<Record<string, unknown>> = {}): Promise<void> {
    if (this.#state === 'starting') throw ServerError.of('SERVER_STARTING');
    await this.#resolver.unload(name, parameters);
  }

  /** Statistics extension (spec §4.4): READY versions only; no name = every model. */
  modelStatistics(name?: string, version?: string): { model_stats: Record<string, unknown>[] } {
    const all = this.#resolver.readyModels();
    if (name === undefined || name === '') {
      return { model_stats: [...all].sort(byNameVersion).map((m) => m.stats.toJSON()) };
    }
    const named = all.filter((m) => m.spec.name === name);
    if (named.length === 0) throw ServerError.invalidArg(`requested model '${name}' is not available`);
    let v: number | undefined;
    try {
      v = parseModelVersion(version);
    } catch {
      throw ServerError.invalidArg(`requested model version is not available for model '${name}'`);
    }
    const picked = v === undefined ? named : named.filter((m) => m.spec.version === v);
    if (picked.length === 0) throw ServerError.invalidArg(`requested model version is not available for model '${name}'`);
    return { model_stats: [...picked].sort(byNameVersion).map((m) => m.stats.toJSON()) };
  }

  /** Trace settings (spec §1.7), global or for a ready model; with an update, applies it first. */
  async traceSettings(model?: string, update?: TraceSettingUpdate): Promise<TraceSettingsView> {
    if (model !== undefined && model !== '') {
      let ready = false;
      try {
        ready = await this.modelReady(model);
      } catch {
        ready = false;
      }
      if (!ready) throw ServerError.invalidArg(`Request for unknown model : ${model}`);
    }
    const m = model === '' ? undefined : model;
    if (this.tracer === undefined) {
      if (update !== undefined) throw ServerError.unavailable('the server does not support tracing');
      return { ...DEFAULT_TRACE_SETTINGS };
    }
    if (update !== undefined) this.tracer.update(m, update);
    return this.tracer.settings(m);
  }

  /** Logging settings (spec §1.7); with an update, applies it first. */
  logSettings(update?: LogSettingsUpdate): LogSettingsView {
    if (this.logControl === undefined) {
      if (update !== undefined) throw ServerError.unavailable('the server does not support dynamic logging');
      return { ...DEFAULT_LOG_SETTINGS };
    }
    if (update !== undefined) this.logControl.updateLogSettings(update);
    return this.logControl.logSettings();
  }

  /**
   * Runs one request and resolves with its single response; rejects with a ServerError for invalid
   * requests and failed inferences. Decoupled models need `inferStream`.
   */
  infer(init: InferenceRequestInit): Promise<InferenceResponse> {
    return new Promise((resolve, reject) => {
      this.#start(init, true, (r) => {
        if (r.error !== undefined) reject(r.error);
        else if (r.final) resolve(r);
      });
    });
  }

  /**
   * `infer` without a promise, for frontends on the hot path: `done` receives the single final response
   * (a failed inference as `response.error`), possibly before this call returns. Invalid requests throw
   * synchronously, as with `inferStream`; decoupled models are refused the same way as by `infer`.
   */
  inferOnce(init: InferenceRequestInit, done: ResponseSink): void {
    this.#start(init, true, done);
  }

  /**
   * Runs one request, delivering each response (0..N for decoupled models, the last with `final`) to
   * `sink`. Validation errors throw synchronously; later errors arrive as a final error response.
   * `onModel` receives the spec of the model version serving the request right after it is looked up,
   * before validation and before any response, so a frontend can arrange its output by the model's
   * kind (decoupled or not) without a second lookup; an unknown model throws without calling it.
   */
  inferStream(init: InferenceRequestInit, sink: ResponseSink, onModel?: (spec: ModelSpec) => void): void {
    this.#start(init, false, sink, onModel);
  }

  /**
   * Stop accepting requests, wait up to `timeoutMs` for in-flight ones, then unload every model.
   * `live()` stays true until the unload finishes.
   */
  /**
   * First step of a graceful stop: readiness turns false (live stays true) while requests are still
   * served, so a load balancer can take this replica out before `shutdown` starts refusing.
   */
  beginDrain(): void {
    if (this.#state === 'serving') this.#state = 'draining';
  }

  async shutdown(timeoutMs = 30_000): Promise<void> {
    if (this.#state !== 'serving' && this.#state !== 'draining' && this.#state !== 'starting') return;
    this.#state = 'stopping';
    if (this.#inflight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.#drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    await this.#resolver.shutdown();
    await this.cudaSharedMemory.stop();
    this.#state = 'stopped';
  }

  #start(init: InferenceRequestInit, single: boolean, sink: ResponseSink, onModel?: (spec: ModelSpec) => void): void {
    const received = nowNs();
    if (this.#state !== 'serving' && this.#state !== 'draining') {
      throw ServerError.of(this.#state === 'starting' ? 'SERVER_STARTING' : 'SERVER_STOPPING');
    }
    let lease: ModelLease;
    try {
      lease = this.#acquire(init.modelName, init.modelVersion);
    } catch (err) {
      // --model-load-on-demand: waits counted as in flight (a graceful stop waits), then goes on as if just arrived.
      const loading = this.#resolver.acquireOnDemand?.(init.modelName, parseModelVersion(init.modelVersion), init.signal);
      if (loading === undefined) throw err;
      this.#inflight += 1;
      loading.then((l) => this.#begin(l, init, single, sink, onModel, received, true))
        .catch((e: unknown) => this.#failWaiting(init, sink, e));
      return;
    }
    this.#begin(lease, init, single, sink, onModel, received, false);
  }

  /** A request that waited for its model's load ends with an error response (it was counted in flight). */
  #failWaiting(init: InferenceRequestInit, sink: ResponseSink, err: unknown): void {
    if (--this.#inflight === 0) this.#drained?.();
    sink({ id: init.id ?? '', modelName: init.modelName, modelVersion: init.modelVersion ?? '', outputs: [], error: ServerError.from(err), final: true });
  }

  /** The path once the request holds a lease: validation (throws), the cache, the scheduler. `counted`: in flight already. */
  #begin(
    lease: ModelLease, init: InferenceRequestInit, single: boolean, sink: ResponseSink,
    onModel: ((spec: ModelSpec) => void) | undefined, received: number, counted: boolean,
  ): void {
    let request: InferenceRequest;
    let cached: CachedResponse | undefined;
    // Sampled before the sink closures exist; they read it at the final response.
    let trace: RequestTrace | undefined;
    try {
      if (counted && this.#state !== 'serving' && this.#state !== 'draining') throw ServerError.of('SERVER_STOPPING');
      const model = lease.model;
      onModel?.(model.spec);
      if (single && model.spec.decoupled) {
        throw ServerError.of('DECOUPLED_SINGLE_RESPONSE');
      }
      const checked = validateRequest(init, model.spec);
      if (init.signal?.aborted) throw ServerError.cancelled();
      let use: CacheUse | undefined;
      if (model.responseCache === true && this.#cache !== undefined) {
        const lookupStart = nowNs();
        const key = this.#cache.key(model.spec.name, model.spec.version, init.inputs, checked.requestedOutputs);
        cached = this.#cache.lookup(key);
        use = { key, lookupNs: nowNs() - lookupStart, hit: cached !== undefined };
      }
      request = new InferenceRequest({
        init,
        modelVersion: model.spec.version,
        requestedOutputs: checked.requestedOutputs,
        batchSize: checked.batchSize,
        received,
        sink: (r) => this.#deliver(lease, request, r, sink, use, trace),
      });
      if (this.tracer?.enabled === true) trace = this.tracer.sample(model.spec.name, (init as TracedRequestInit).traceOrigin);
      // A trace may record the input tensors when the request ends: they must still be there then.
      if (trace !== undefined) request.keepInputs();
    } catch (err) {
      lease.release();
      throw err;
    }
    if (!counted) this.#inflight += 1;
    if (requestStartChannel.hasSubscribers) {
      requestStartChannel.publish({
        modelName: request.modelName, modelVersion: String(request.modelVersion), id: request.id, batchSize: request.batchSize,
      } satisfies RequestStartMessage);
    }
    if (cached !== undefined) {
      // A hit never queues or executes: the stored response goes out through the normal delivery path
      // (classification, stats as a cache hit, lease release).
      request.respond(cached);
      return;
    }
    request.stamp('queueStart');
    lease.model.scheduler.enqueue(request);
  }

  /** Post-processes one backend response (classification), records stats and releases at the final one. */
  #deliver(
    lease: ModelLease, request: InferenceRequest, response: InferenceResponse, sink: ResponseSink, cache: CacheUse | undefined,
    trace: RequestTrace | undefined,
  ): void {
    // Decoupled models keep per-response statistics (spec §4.4 response_stats).
    const arrived = lease.model.spec.decoupled ? nowNs() : 0;
    let out = response;
    if (response.error === undefined && response.outputs.length > 0) {
      try {
        out = this.#classify(lease.model, request, response);
      } catch (err) {
        out = { ...response, outputs: [], error: ServerError.from(err) };
      }
    }
    if (arrived > 0) lease.model.stats.recordResponse(request, out, arrived, nowNs());
    if (out.final) {
      const ok = out.error === undefined;
      const end = nowNs();
      if (cache === undefined || !ok) lease.model.stats.recordRequest(request, ok, end, out.error);
      else if (cache.hit) lease.model.stats.recordCacheHit(request, cache.lookupNs, end);
      else this.#insert(lease.model, request, response, cache, end);
      lease.release();
      this.#inflight -= 1;
      if (requestFinishChannel.hasSubscribers) publishFinish(request, out, end, cache?.hit === true && ok);
      if (this.#inflight === 0 && this.#drained !== undefined) this.#drained();
      if (trace !== undefined) {
        // The frontends write the reply inside the sink: its duration is the send time.
        const sendStart = nowNs();
        sink(out);
        trace.finish(request, out, end, sendStart, nowNs());
        return;
      }
    }
    sink(out);
  }

  /** Stores a successful response (the backend's outputs, before classification) after a cache miss. */
  #insert(model: ServedModel, request: InferenceRequest, response: InferenceResponse, cache: CacheUse, start: number): void {
    this.#cache!.insert(cache.key, response.parameters === undefined
      ? { outputs: response.outputs }
      : { outputs: response.outputs, parameters: response.parameters });
    const end = nowNs();
    // Triton adds the insert time to the request's duration and counts lookup + insert as the miss.
    model.stats.recordRequest(request, true, end);
    model.stats.recordCacheMiss(cache.lookupNs + (end - start));
  }

  #classify(model: ServedModel, request: InferenceRequest, response: InferenceResponse): InferenceResponse {
    const wanted = request.requestedOutputs.filter((o) => (o.classification ?? 0) > 0);
    if (wanted.length === 0) return response;
    const specs = new Map(model.spec.outputs.map((o) => [o.name, o]));
    const k = new Map(wanted.map((o) => [o.name, o.classification!]));
    const outputs = response.outputs.map((t) => {
      const count = k.get(t.name);
      if (count === undefined) return t;
      return classify(t, count, model.spec.maxBatchSize > 0, specs.get(t.name)?.labels);
    });
    return { ...response, outputs };
  }

  #acquire(name: string, version: string | undefined): ModelLease {
    return this.#resolver.acquire(name, parseModelVersion(version));
  }

  #withModel<T>(name: string, version: string | undefined, pick: (m: ServedModel) => T): T {
    const lease = this.#acquire(name, version);
    try {
      return pick(lease.model);
    } finally {
      lease.release();
    }
  }
}

function byNameVersion(a: ServedModel, b: ServedModel): number {
  return a.spec.name < b.spec.name ? -1 : a.spec.name > b.spec.name ? 1 : a.spec.version - b.spec.version;
}

function publishFinish(request: InferenceRequest, out: InferenceResponse, end: number, cacheHit: boolean): void {
  const message: RequestFinishMessage = {
    modelName: request.modelName, modelVersion: String(request.modelVersion), id: request.id, batchSize: request.batchSize,
    durationNs: end - request.timestamps.received, cacheHit, ...(out.error === undefined ? {} : { error: out.error }),
  };
  requestFinishChannel.publish(message);
}
