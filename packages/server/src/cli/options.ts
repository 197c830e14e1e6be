/**
 * Turns the parsed flag values into what `serve` runs with, applying tritonserver's defaults and checks:
 * each part's options in the type that part declares (see ServeSettings).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { SERVE_FLAGS, parseBool, type FlagDef } from './flags.js';
import { parseForwardPattern, parseRestrictedApis } from './restricted-flags.js';
import type { CreateServerOptions } from '../create-server.js';
import type { HttpFrontendOptions } from '../frontends/http/http-frontend.js';
import type { GrpcFrontendOptions } from '../frontends/grpc/options.js';
import { checkWindowSize } from '../frontends/grpc/http2-windows.js';
import { parseCacheConfig, type ResponseCacheConfig } from '../core/index.js';
import { parseRateLimitResource } from '../scheduler/rate-limiter.js';
import { parseTraceConfig, type TraceConfig } from '../observability/trace-config.js';
import { parseMetricsConfig } from '../observability/metrics-config.js';
import type { MetricsOptions } from '../observability/metrics.js';
import type { MetricsServerOptions } from '../observability/metrics-server.js';
import type { LogSettings } from '../observability/log.js';
import { isLogFormat, LOG_FORMATS } from '../core/observability-hooks.js';

export type FlagValues = Record<string, string | number | boolean | string[] | undefined>;

function optionFor(def: FlagDef): Option {
  const defText = def.default === undefined ? '' : ` (default: ${String(def.default)})`;
  const help = `${def.help}${defText}${def.accepted ? ' [accepted, no effect yet]' : ''}`;
  switch (def.kind) {
    case 'switch':
      return new Option(`--${def.name}`, help);
    case 'bool':
      return new Option(`--${def.name} [bool]`, help).argParser((v: string) => {
        const b = parseBool(v);
        if (b === undefined) throw new InvalidArgumentError(`expected true/false/on/off/1/0, got '${v}'`);
        return b;
      });
    case 'int':
      return new Option(`--${def.name} <int>`, help).argParser((v: string) => {
        if (!/^-?\d+$/.test(v.trim())) throw new InvalidArgumentError(`expected an integer, got '${v}'`);
        return Number(v);
      });
    case 'list':
      return new Option(`--${def.name} <value>`, help).argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
    case 'string':
      return new Option(`--${def.name} <value>`, help);
  }
}

/** Adds every serve flag to a commander command. */
export function addServeFlags(cmd: Command): Command {
  for (const def of SERVE_FLAGS) cmd.addOption(optionFor(def));
  return cmd;
}

/**
 * What `inferd serve` runs with, in the shapes the parts it starts take, so each option is named once:
 * `server` is createInferenceServer's options object as is, the listeners are their frontends' options
 * less what only exists at run time (loggers, the metrics registry, certificate bytes). To add a flag:
 * its row in flags.ts, its field in the part it belongs to below (typed by that part's options type).
 */
export interface ServeSettings {
  /** createInferenceServer's options (serve adds its logger). */
  readonly server: CreateServerOptions;
  /** The HTTP frontend (undefined when --allow-http=false); `console: {}` = --allow-console. */
  readonly http: Omit<HttpFrontendOptions, 'log'> | undefined;
  /** The gRPC frontend (undefined when --allow-grpc=false); TLS as file paths, read when it starts. */
  readonly grpc: GrpcListenerSettings | undefined;
  /** The Prometheus listener (undefined when --allow-metrics=false). */
  readonly metrics: Omit<MetricsServerOptions, 'log'> | undefined;
  readonly log: LogSettings;
  /** `--exit-timeout-secs`: the bound on the whole stop, draining and unloading. */
  readonly exitTimeoutSecs: number;
  /** `--drain-delay-secs`: not ready but still serving for this long after SIGTERM. */
  readonly drainDelaySecs: number;
  /** Flags that were set but have no effect yet (warned about at start). */
  readonly acceptedButIgnored: string[];
  /** Triton's deprecation warnings for flags that were set, printed to stderr before start. */
  readonly deprecationWarnings?: string[];
}

/** `--grpc-use-ssl[-mutual]`, `--grpc-server-cert/-key/-root-cert`: paths of the PEM files. */
export interface GrpcTlsFiles {
  readonly cert: string;
  readonly key: string;
  readonly rootCert: string | undefined;
  readonly mutual: boolean;
}

export type GrpcListenerSettings = Omit<GrpcFrontendOptions, 'log' | 'tls'> & { readonly tls: GrpcTlsFiles | undefined };

function forwardPattern(value: string | undefined, flag: 'http-header-forward-pattern' | 'grpc-header-forward-pattern'): RegExp | undefined {
  return value === undefined ? undefined : parseForwardPattern(value, flag);
}

function cacheSettings(entries: string[] | undefined, byteSize: number | undefined): ResponseCacheConfig | undefined {
  if (byteSize !== undefined && entries !== undefined) {
    throw new Error('Incompatible flags --response-cache-byte-size and --cache-config both provided. Please provide one or the other.');
  }
  if (byteSize !== undefined) {
    if (byteSize < 0) throw new Error(`invalid argument for --response-cache-byte-size, got: ${byteSize}`);
    return { local: { size: byteSize } };
  }
  return parseCacheConfig(entries ?? []);
}

function rateLimitSettings(mode: string, resources: string[] | undefined): CreateServerOptions['rateLimit'] {
  if (mode !== 'off' && mode !== 'execution_count') throw new Error(`invalid argument for --rate-limit, got: ${mode}`);
  return { mode, resources: (resources ?? []).map(parseRateLimitResource) };
}

/** `--http-max-input-size`: Triton refuses to start on a limit that is not positive. */
function maxInputSize(value: number): number {
  if (!(value > 0)) throw new Error('--http-max-input-size must be greater than 0.');
  return value;
}

function nonNegative(value: number, flag: string): number {
  if (!(value >= 0)) throw new Error(`invalid argument for --${flag}, got: ${value}`);
  return value;
}

function positiveInt(value: number, flag: string): number {
  if (!(value > 0)) throw new Error(`invalid argument for --${flag}, got: ${value}`);
  return value;
}

/** The on-demand and budget flags (issue 19): positive whole numbers, and only with explicit model control. */
function residencySettings(
  get: <T>(name: string) => T, mode: string,
): Pick<CreateServerOptions, 'modelLoadOnDemand' | 'modelMaxLoaded' | 'modelMemoryBudget'> {
  const onDemand = get<boolean>('model-load-on-demand');
  const maxLoaded = get<number | undefined>('model-max-loaded');
  const budget = get<number | undefined>('model-memory-budget');
  if (maxLoaded !== undefined && !(maxLoaded >= 1)) {
    throw new Error(`invalid argument for --model-max-loaded, got: ${maxLoaded} (the most models loaded at once, at least 1)`);
  }
  if (budget !== undefined && !(budget >= 1 && Number.isSafeInteger(budget))) {
    throw new Error(`invalid argument for --model-memory-budget, got: ${budget} (a size in bytes, at least 1)`);
  }
  const set = [onDemand ? '--model-load-on-demand' : '', maxLoaded !== undefined ? '--model-max-loaded' : '', budget !== undefined ? '--model-memory-budget' : '']
    .filter((n) => n !== '');
  if (set.length > 0 && mode !== 'explicit') {
    throw new Error(`${set.join(', ')} need${set.length === 1 ? 's' : ''} --model-control-mode=explicit (in ${mode} mode every model of the repository is loaded)`);
  }
  return {
    modelLoadOnDemand: onDemand,
    ...(maxLoaded === undefined ? {} : { modelMaxLoaded: maxLoaded }),
    ...(budget === undefined ? {} : { modelMemoryBudget: budget }),
  };
}

function traceSettings(get: <T>(name: string) => T): TraceConfig {
  const legacy = {
    file: get<string | undefined>('trace-file'),
    level: get<string[] | undefined>('trace-level'),
    rate: get<number | undefined>('trace-rate'),
    count: get<number | undefined>('trace-count'),
    logFrequency: get<number | undefined>('trace-log-frequency'),
  };
  const defined = Object.fromEntries(Object.entries(legacy).filter(([, v]) => v !== undefined));
  try {
    return parseTraceConfig(get<string[] | undefined>('trace-config') ?? [], defined);
  } catch (err) {
    throw new Error((err as Error).message);
  }
}

const camel = (name: string): string => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Resolves defaults and cross-flag rules; throws a message for the user on invalid combinations. */
export function toServeSettings(values: FlagValues): ServeSettings {
  const get = <T>(name: string): T => {
    const v = values[camel(name)];
    const def = SERVE_FLAGS.find((d) => d.name === name);
    return (v === undefined ? def?.default : v) as T;
  };
  const repos = [...(get<string[] | undefined>('model-repository') ?? []), ...(get<string[] | undefined>('model-store') ?? [])];
  if (repos.length === 0) throw new Error('--model-repository must be specified');
  const format = get<string>('log-format');
  if (!isLogFormat(format)) {
    throw new Error(`invalid argument for --log-format, got: ${format} (accepted: ${LOG_FORMATS.join(', ')})`);
  }
  const mode = get<string>('model-control-mode');
  if (!['none', 'poll', 'explicit'].includes(mode)) throw new Error(`invalid argument for --model-control-mode, got: ${mode}`);
  const pollSecs = get<number>('repository-poll-secs');
  if (pollSecs < 0) throw new Error(`invalid argument for --repository-poll-secs, got: ${pollSecs}`);
  const disableAuto = get<boolean | undefined>('disable-auto-complete-config') === true;
  const strictConfig = get<boolean>('strict-model-config');
  const compression = get<string>('grpc-infer-response-compression-level');
  if (!['none', 'low', 'medium', 'high'].includes(compression)) {
    throw new Error(`invalid argument for --grpc-infer-response-compression-level, got: ${compression}`);
  }
  const useSsl = get<boolean>('grpc-use-ssl');
  const useSslMutual = get<boolean>('grpc-use-ssl-mutual');
  if ((useSsl || useSslMutual) && (get('grpc-server-cert') === undefined || get('grpc-server-key') === undefined)) {
    throw new Error('--grpc-use-ssl needs --grpc-server-cert and --grpc-server-key');
  }
  const acceptedButIgnored = SERVE_FLAGS.filter((d) => d.accepted && values[camel(d.name)] !== undefined).map((d) => d.name);
  const tls = useSsl || useSslMutual
    ? { cert: get<string>('grpc-server-cert'), key: get<string>('grpc-server-key'), rootCert: get<string | undefined>('grpc-root-cert'), mutual: useSslMutual }
    : undefined;
  // Every part is built (and so every flag checked) even when --allow-* turns it off, as before.
  const metrics = {
    config: parseMetricsConfig(get<string[] | undefined>('metrics-config') ?? []),
    intervalMs: positiveInt(get<number>('metrics-interval-ms'), 'metrics-interval-ms'),
    cpuMetrics: get<boolean>('allow-cpu-metrics'),
    gpuMetrics: get<boolean>('allow-gpu-metrics'),
    runtimeMetrics: get<boolean>('allow-runtime-metrics'),
    pinnedMemoryPoolByteSize: get<number>('pinned-memory-pool-byte-size'),
  } satisfies MetricsOptions;
  const server: CreateServerOptions = {
    modelRepository: repos,
    modelControlMode: mode as NonNullable<CreateServerOptions['modelControlMode']>,
    loadModels: get<string[] | undefined>('load-model') ?? [],
    repositoryPollSecs: pollSecs,
    modelConfigName: get<string | undefined>('model-config-name'),
    modelLoadThreadCount: get<number>('model-load-thread-count'),
    modelLoadRetryCount: get<number>('model-load-retry-count'),
    ...residencySettings(get, mode),
    autoComplete: !disableAuto && !strictConfig,
    strictReadiness: get<boolean>('strict-readiness'),
    allowClientShm: get<boolean>('allow-client-shm'),
    exitOnError: get<boolean>('exit-on-error'),
    id: get<string>('id'),
    backendDirectory: get<string>('backend-directory'),
    backendConfig: get<string[] | undefined>('backend-config') ?? [],
    metrics: get<boolean>('allow-metrics') ? metrics : false,
    gpu: { minComputeCapability: nonNegative(Number(get<string>('min-supported-compute-capability')), 'min-supported-compute-capability') },
    cacheConfig: cacheSettings(get<string[] | undefined>('cache-config'), get<number | undefined>('response-cache-byte-size')),
    rateLimit: rateLimitSettings(get<string>('rate-limit'), get<string[] | undefined>('rate-limit-resource')),
    trace: traceSettings(get),
  };
  const http: Omit<HttpFrontendOptions, 'log'> = {
    port: get<number>('http-port'),
    address: get<string>('http-address'),
    maxInputSize: maxInputSize(get<number>('http-max-input-size')),
    restrictedApis: parseRestrictedApis(get<string[] | undefined>('http-restricted-api') ?? [], 'http-restricted-api'),
    headerForwardPattern: forwardPattern(get<string | undefined>('http-header-forward-pattern'), 'http-header-forward-pattern'),
    ...(get<boolean>('allow-console') ? { console: {} } : {}),
  };
  const grpc: GrpcListenerSettings = {
    port: get<number>('grpc-port'),
    address: get<string>('grpc-address'),
    restrictedApis: parseRestrictedApis(get<string[] | undefined>('grpc-restricted-protocol') ?? [], 'grpc-restricted-protocol'),
    headerForwardPattern: forwardPattern(get<string | undefined>('grpc-header-forward-pattern'), 'grpc-header-forward-pattern'),
    tls,
    responseCompression: compression as NonNullable<GrpcFrontendOptions['responseCompression']>,
    http2Windows: {
      stream: checkWindowSize(get<number>('grpc-http2-stream-window-size'), '--grpc-http2-stream-window-size'),
      connection: checkWindowSize(get<number>('grpc-http2-connection-window-size'), '--grpc-http2-connection-window-size'),
    },
    keepalive: {
      timeMs: get<number>('grpc-keepalive-time'),
      timeoutMs: get<number>('grpc-keepalive-timeout'),
      permitWithoutCalls: get<boolean>('grpc-keepalive-permit-without-calls'),
      maxPingsWithoutData: get<number>('grpc-http2-max-pings-without-data'),
      minRecvPingIntervalWithoutDataMs: get<number>('grpc-http2-min-recv-ping-interval-without-data'),
      maxPingStrikes: get<number>('grpc-http2-max-ping-strikes'),
      maxConnectionAgeMs: get<number | undefined>('grpc-max-connection-age'),
      maxConnectionAgeGraceMs: get<number | undefined>('grpc-max-connection-age-grace'),
    },
  };
  return {
    server,
    http: get<boolean>('allow-http') ? http : undefined,
    grpc: get<boolean>('allow-grpc') ? grpc : undefined,
    metrics: get<boolean>('allow-metrics')
      ? { port: get<number>('metrics-port'), address: get<string | undefined>('metrics-address') ?? get<string>('http-address') }
      : undefined,
    log: {
      info: get<boolean>('log-info'),
      warning: get<boolean>('log-warning'),
      error: get<boolean>('log-error'),
      verboseLevel: get<number>('log-verbose'),
      format,
      file: get<string | undefined>('log-file') ?? '',
    },
    exitTimeoutSecs: get<number>('exit-timeout-secs'),
    drainDelaySecs: nonNegative(get<number>('drain-delay-secs'), 'drain-delay-secs'),
    acceptedButIgnored,
    deprecationWarnings: values[camel('strict-model-config')] === undefined
      ? []
      : ["Warning: '--strict-model-config' has been deprecated! Please use '--disable-auto-complete-config' instead."],
  };
}
