/**
 * Wiring for the in-process API: a model repository on disk -> a ready `InferenceServer`, no sockets.
 * The CLI uses the same function and puts frontends in front of the result.
 */
import {
  CudaSharedMemory, InferenceServer, ResponseCache, ServerError, SystemSharedMemory, parseCacheConfig, type ResponseCacheConfig,
} from './core/index.js';
import { join } from 'node:path';
import { parseBackendConfig } from './config/index.js';
import { BackendRegistry } from './backends/registry.js';
import type { Backend } from './backends/contract.js';
import { RepositoryManager, type ModelControlMode, type RepositoryManagerOptions } from './repository/manager.js';
import { Logger } from './observability/log.js';
import { MetricsRegistry, type MetricsOptions } from './observability/metrics.js';
import { defaultTraceConfig, parseTraceConfig, type TraceConfig } from './observability/trace-config.js';
import { TraceManager } from './observability/trace-manager.js';
import { GpuDevices, type GpuDevicesOptions } from './devices/gpus.js';
import { CudaMemoryAgent } from './devices/cuda-memory-agent.js';
import { pythonInterpreter, stubDirectory } from './backends/python/interpreter.js';
import { RateLimiter, parseRateLimitResource, type RateLimitResourceOverride } from './scheduler/rate-limiter.js';
import { openRepositories } from './repository/remote/remote-repositories.js';

export interface CreateServerOptions {
  /** One or more Triton model repository directories. */
  readonly modelRepository: string | readonly string[];
  /** Plug-in backends: `<dir>/<name>/index.js` exporting the Backend contract. */
  readonly backendDirectory?: string;
  /** Backend objects by name (an app's own backends, or a test's): they win over built-ins and plug-ins. */
  readonly backends?: Readonly<Record<string, Backend>>;
  /** `--backend-config` entries, e.g. `onnxruntime,default-max-batch-size=8`. */
  readonly backendConfig?: readonly string[];
  /** Complete configs from model files (default true). */
  readonly autoComplete?: boolean;
  /** Prefer `<model>/configs/<name>.pbtxt`. */
  readonly modelConfigName?: string;
  readonly strictReadiness?: boolean;
  /** Reject when any model fails to load (default true, like tritonserver). */
  readonly exitOnError?: boolean;
  readonly modelLoadThreadCount?: number;
  /** `--model-load-retry-count`: further attempts after a model fails to load (default 0). */
  readonly modelLoadRetryCount?: number;
  /**
   * `--model-control-mode` (spec §7): `none` (default) loads everything and refuses load/unload;
   * `poll` also rescans the repositories every `repositoryPollSecs` and loads/unloads/reloads what
   * changed; `explicit` loads only `loadModels` and then what the load/unload API asks for.
   */
  readonly modelControlMode?: ModelControlMode;
  /** `--load-model`: explicit mode's startup models; `['*']` = all. */
  readonly loadModels?: readonly string[];
  /** `--repository-poll-secs` (default 15). */
  readonly repositoryPollSecs?: number;
  /**
   * `--model-load-on-demand` (explicit mode): an infer request for a model in the repository that is
   * not loaded loads it and is answered once it serves (issue 19; docs/architecture.md).
   */
  readonly modelLoadOnDemand?: boolean;
  /** `--model-max-loaded` (explicit mode): the most models with a backend loaded at once; the least recently used idle one goes. */
  readonly modelMaxLoaded?: number;
  /** `--model-memory-budget` (explicit mode): the most estimated bytes of loaded models (see repository/footprint.ts). */
  readonly modelMemoryBudget?: number;
  /** Server name in metadata (default `triton`). */
  readonly id?: string;
  /** Defaults to a logger that prints warnings and errors only. */
  readonly logger?: Logger;
  /** `--allow-client-shm`: accept client system shared memory regions (default false). */
  readonly allowClientShm?: boolean;
  /**
   * The response cache (spec §12): either `{ local: { size: <bytes> } }` or the `--cache-config` strings
   * (`['local,size=1048576']`). Absent = no cache; models with `response_cache { enable: true }` then
   * execute every request, as in Triton.
   */
  readonly cacheConfig?: ResponseCacheConfig | readonly string[];
  /**
   * `--rate-limit` and `--rate-limit-resource` (spec §12). Absent or mode `off` = instance groups'
   * `rate_limiter` settings are ignored. `resources` override available copies: objects or the flag's
   * `<name>:<count>[:<device>]` strings.
   */
  readonly rateLimit?: {
    readonly mode: 'off' | 'execution_count';
    readonly resources?: readonly (string | RateLimitResourceOverride)[];
  };
  /**
   * Prometheus metrics (spec §9): `--metrics-config`, `--metrics-interval-ms`, `--allow-cpu-metrics`.
   * Default: a registry with the counters; `false`: none (`--allow-metrics=false`). Serving them over
   * HTTP is the caller's choice (`MetricsServer`, as `inferd serve` does).
   */
  readonly metrics?: MetricsOptions | false;
  /**
   * Tracing (spec §1.7, `--trace-config`): a parsed config or the flag's strings
   * (`['triton,file=/tmp/trace.json', 'level=TIMESTAMPS', 'rate=1']`). Default: tracing off, but the
   * trace setting API can turn it on.
   */
  readonly trace?: TraceConfig | readonly string[];
  /**
   * GPU discovery (nvidia-smi): `nvidiaSmi` the executable (default env `INFERD_NVIDIA_SMI`, else
   * `nvidia-smi` on PATH), `minComputeCapability` Triton's `--min-supported-compute-capability` (6.0).
   */
  readonly gpu?: GpuDevicesOptions;
}

export interface CreatedServer {
  readonly server: InferenceServer;
  /** Models that failed to load (only non-empty when exitOnError is false). */
  readonly failedModels: readonly string[];
  /** The `nv_*` metrics of this server (`await metrics.text()` = one scrape); undefined with `metrics: false`. */
  readonly metrics: MetricsRegistry | undefined;
  /** The server's tracer; `await tracer.shutdown()` after `server.shutdown()` flushes trace files and exports. */
  readonly tracer: TraceManager;
}

/** Loads every model of the repositories and returns the server (see `InferenceServer`). */
export async function createInferenceServer(options: CreateServerOptions): Promise<CreatedServer> {
  const log = options.logger ?? new Logger({ info: false });
  const cacheConfig = isCacheStrings(options.cacheConfig) ? parseCacheConfig(options.cacheConfig) : options.cacheConfig;
  const rateLimiter = options.rateLimit?.mode === 'execution_count'
    ? new RateLimiter({
        overrides: (options.rateLimit.resources ?? []).map((r) => (typeof r === 'string' ? parseRateLimitResource(r) : r)),
      })
    : undefined;
  const devices = new GpuDevices(options.gpu ?? {});
  const metrics = options.metrics === false ? undefined : new MetricsRegistry({ ...options.metrics, devices });
  const traceConfig = options.trace === undefined ? defaultTraceConfig()
    : isStrings(options.trace) ? parseTraceConfig(options.trace) : options.trace;
  const tracer = new TraceManager(traceConfig, (m) => log.error('tracing', m));
  // `s3://` repositories become local copies the manager syncs before it scans.
  const repositories = await openRepositories(
    typeof options.modelRepository === 'string' ? [options.modelRepository] : [...options.modelRepository], log);
  const backendConfig = parseBackendConfig(options.backendConfig ?? []);
  const sharedMemory = new SystemSharedMemory({ enabled: options.allowClientShm ?? false });
  // As Triton: the server exists first (live, not ready), its models load into it, then it serves.
  let manager: RepositoryManager | undefined;
  const server = new InferenceServer({
    resolver: (invoker) => (manager = new RepositoryManager({
      repositories: repositories.dirs,
      ...(repositories.remote ? { remote: repositories } : {}),
      registry: new BackendRegistry({
        ...(options.backendDirectory === undefined ? {} : { backendDirectory: options.backendDirectory }),
        ...(options.backends === undefined ? {} : { backends: options.backends }),
      }),
      backendConfig,
      autoComplete: options.autoComplete ?? true,
      ...(options.modelConfigName === undefined ? {} : { configName: options.modelConfigName }),
      loadThreadCount: options.modelLoadThreadCount ?? 4,
      loadRetryCount: options.modelLoadRetryCount ?? 0,
      controlMode: options.modelControlMode ?? 'none',
      ...(options.loadModels === undefined ? {} : { startupModels: options.loadModels }),
      ...(options.repositoryPollSecs === undefined ? {} : { pollSecs: options.repositoryPollSecs }),
      ...residencyOptions(options, metrics),
      log,
      invoker,
      devices,
      ...(rateLimiter === undefined ? {} : { rateLimiter }),
      ...(metrics === undefined ? {} : { onVersionLoaded: metrics.attach }),
      ...(metrics === undefined ? {} : { metrics }),
    })),
    sharedMemory,
    cudaSharedMemory: new CudaSharedMemory({
      enabled: sharedMemory.enabled,
      names: sharedMemory.names,
      // The agent runs on the Python backend's interpreter (its python-interpreter setting, INFERD_PYTHON, ...).
      ipc: () => new CudaMemoryAgent({
        interpreter: pythonInterpreter(backendConfig.forBackend('python')),
        script: join(stubDirectory(), 'inferd_cuda_agent.py'),
        log: (m) => log.warning('cuda-shm', m),
      }),
    }),
    ...(cacheConfig === undefined ? {} : { responseCache: new ResponseCache(cacheConfig) }),
    ...(options.id === undefined ? {} : { id: options.id }),
    ...(options.strictReadiness === undefined ? {} : { strictReadiness: options.strictReadiness }),
    // The logging and trace setting APIs (HTTP /v2/logging, gRPC LogSettings/TraceSetting) act on these.
    tracer,
    logControl: log,
  });
  metrics?.bind(manager!, { cacheEnabled: cacheConfig !== undefined });
  let failedModels: string[];
  try {
    failedModels = [...(await server.start())];
  } catch (err) {
    repositories.close();
    throw err;
  }
  if (failedModels.length > 0 && (options.exitOnError ?? true)) {
    await server.shutdown();
    throw ServerError.internal(`failed to load all models: ${failedModels.join(', ')}`);
  }
  return { server, failedModels, metrics, tracer };
}

function residencyOptions(options: CreateServerOptions, metrics: MetricsRegistry | undefined): Pick<RepositoryManagerOptions, 'residency'> {
  const { modelLoadOnDemand = false, modelMaxLoaded, modelMemoryBudget } = options;
  if (!modelLoadOnDemand && modelMaxLoaded === undefined && modelMemoryBudget === undefined) return {};
  return {
    residency: {
      loadOnDemand: modelLoadOnDemand,
      ...(modelMaxLoaded === undefined ? {} : { maxLoaded: modelMaxLoaded }),
      ...(modelMemoryBudget === undefined ? {} : { memoryBytes: modelMemoryBudget }),
      ...(metrics === undefined ? {} : { observer: metrics.residencyCounters() }),
    },
  };
}

function isCacheStrings(c: CreateServerOptions['cacheConfig']): c is readonly string[] {
  return Array.isArray(c);
}

function isStrings(c: TraceConfig | readonly string[]): c is readonly string[] {
  return Array.isArray(c);
}
