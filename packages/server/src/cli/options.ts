/** Turns the parsed flag values into the typed settings `serve` needs, applying tritonserver's defaults. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { SERVE_FLAGS, parseBool, type FlagDef } from './flags.js';
import { parseForwardPattern, parseRestrictedApis } from './restricted-flags.js';
import type { RestrictedApis } from '../frontends/common/restricted-apis.js';
import { checkWindowSize, type Http2Windows } from '../frontends/grpc/http2-windows.js';
import { parseCacheConfig, type ResponseCacheConfig } from '../core/index.js';
import { parseRateLimitResource, type RateLimitResourceOverride } from '../scheduler/rate-limiter.js';
import { parseTraceConfig, type TraceConfig } from '../observability/trace-config.js';
import { parseMetricsConfig, type MetricsConfig } from '../observability/metrics-config.js';

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

export interface ServeSettings {
  modelRepositories: string[];
  modelControlMode: 'none' | 'poll' | 'explicit';
  /** `--load-model` (explicit mode's startup models; `*` = all). */
  loadModels: string[];
  /** `--repository-poll-secs`. */
  repositoryPollSecs: number;
  modelConfigName: string | undefined;
  modelLoadThreadCount: number;
  modelLoadRetryCount: number;
  /** `--model-load-on-demand`, `--model-max-loaded`, `--model-memory-budget` (explicit mode only). */
  modelLoadOnDemand: boolean;
  modelMaxLoaded: number | undefined;
  modelMemoryBudget: number | undefined;
  autoComplete: boolean;
  strictReadiness: boolean;
  allowClientShm: boolean;
  exitOnError: boolean;
  exitTimeoutSecs: number;
  /** `--drain-delay-secs`: not ready but still serving for this long after SIGTERM. */
  drainDelaySecs: number;
  id: string;
  backendDirectory: string;
  backendConfig: string[];
  allowHttp: boolean;
  httpPort: number;
  httpAddress: string;
  httpMaxInputSize: number;
  /** `--http-restricted-api` (empty map = nothing restricted). */
  httpRestrictedApis: RestrictedApis;
  httpHeaderForwardPattern: RegExp | undefined;
  allowGrpc: boolean;
  grpcPort: number;
  grpcAddress: string;
  /** `--grpc-restricted-protocol` (keys include the `triton-grpc-protocol-` prefix). */
  grpcRestrictedApis: RestrictedApis;
  grpcHeaderForwardPattern: RegExp | undefined;
  grpc: {
    useSsl: boolean;
    useSslMutual: boolean;
    serverCert: string | undefined;
    serverKey: string | undefined;
    rootCert: string | undefined;
    responseCompression: 'none' | 'low' | 'medium' | 'high';
    /** `--grpc-http2-stream-window-size`, `--grpc-http2-connection-window-size`. */
    http2Windows: Http2Windows;
    keepalive: {
      timeMs: number; timeoutMs: number; permitWithoutCalls: boolean; maxPingsWithoutData: number;
      minRecvPingIntervalWithoutDataMs: number; maxPingStrikes: number;
      maxConnectionAgeMs: number | undefined; maxConnectionAgeGraceMs: number | undefined;
    };
  };
  /** `--allow-console`: the web console at `/console` on the HTTP port. */
  allowConsole: boolean;
  allowMetrics: boolean;
  metricsPort: number;
  /** `--metrics-address`, default the HTTP address (as tritonserver). */
  metricsAddress: string;
  metricsIntervalMs: number;
  /** `--metrics-config`, parsed (invalid entries fail start-up). */
  metricsConfig: MetricsConfig;
  allowCpuMetrics: boolean;
  allowGpuMetrics: boolean;
  /** `--min-supported-compute-capability` (6.0). */
  minComputeCapability: number;
  pinnedMemoryPoolByteSize: number;
  log: { info: boolean; warning: boolean; error: boolean; verboseLevel: number; format: 'default' | 'ISO8601'; file: string };
  /** `--cache-config` (or the deprecated `--response-cache-byte-size`); undefined = no response cache. */
  cacheConfig: ResponseCacheConfig | undefined;
  /** `--rate-limit` and `--rate-limit-resource`. */
  rateLimit: { mode: 'off' | 'execution_count'; resources: RateLimitResourceOverride[] };
  /** `--trace-config` and the deprecated `--trace-*` flags. */
  trace: TraceConfig;
  /** Flags that were set but have no effect yet (warned about at start). */
  acceptedButIgnored: string[];
  /** Triton's deprecation warnings for flags that were set, printed to stderr before start. */
  deprecationWarnings?: string[];
}

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

function rateLimitSettings(mode: string, resources: string[] | undefined): ServeSettings['rateLimit'] {
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

/** The on-demand and budget flags: positive whole numbers, and only with explicit model control. */
function residencySettings(get: <T>(name: string) => T, mode: string): Pick<ServeSettings, 'modelLoadOnDemand' | 'modelMaxLoaded' | 'modelMemoryBudget'> {
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
  return { modelLoadOnDemand: onDemand, modelMaxLoaded: maxLoaded, modelMemoryBudget: budget };
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
  if (format !== 'default' && format !== 'ISO8601') throw new Error(`invalid argument for --log-format, got: ${format}`);
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
  return {
    modelRepositories: repos,
    modelControlMode: mode as ServeSettings['modelControlMode'],
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
    exitTimeoutSecs: get<number>('exit-timeout-secs'),
    drainDelaySecs: nonNegative(get<number>('drain-delay-secs'), 'drain-delay-secs'),
    id: get<string>('id'),
    backendDirectory: get<string>('backend-directory'),
    backendConfig: get<string[] | undefined>('backend-config') ?? [],
    allowHttp: get<boolean>('allow-http'),
    httpPort: get<number>('http-port'),
    httpAddress: get<string>('http-address'),
    httpMaxInputSize: maxInputSize(get<number>('http-max-input-size')),
    httpRestrictedApis: parseRestrictedApis(get<string[] | undefined>('http-restricted-api') ?? [], 'http-restricted-api'),
    httpHeaderForwardPattern: forwardPattern(get<string | undefined>('http-header-forward-pattern'), 'http-header-forward-pattern'),
    allowGrpc: get<boolean>('allow-grpc'),
    grpcPort: get<number>('grpc-port'),
    grpcAddress: get<string>('grpc-address'),
    grpcRestrictedApis: parseRestrictedApis(get<string[] | undefined>('grpc-restricted-protocol') ?? [], 'grpc-restricted-protocol'),
    grpcHeaderForwardPattern: forwardPattern(get<string | undefined>('grpc-header-forward-pattern'), 'grpc-header-forward-pattern'),
    grpc: {
      useSsl,
      useSslMutual,
      serverCert: get<string | undefined>('grpc-server-cert'),
      serverKey: get<string | undefined>('grpc-server-key'),
      rootCert: get<string | undefined>('grpc-root-cert'),
      responseCompression: compression as 'none' | 'low' | 'medium' | 'high',
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
    },
    allowConsole: get<boolean>('allow-console'),
    allowMetrics: get<boolean>('allow-metrics'),
    metricsPort: get<number>('metrics-port'),
    metricsAddress: get<string | undefined>('metrics-address') ?? get<string>('http-address'),
    metricsIntervalMs: positiveInt(get<number>('metrics-interval-ms'), 'metrics-interval-ms'),
    metricsConfig: parseMetricsConfig(get<string[] | undefined>('metrics-config') ?? []),
    allowCpuMetrics: get<boolean>('allow-cpu-metrics'),
    allowGpuMetrics: get<boolean>('allow-gpu-metrics'),
    minComputeCapability: nonNegative(Number(get<string>('min-supported-compute-capability')), 'min-supported-compute-capability'),
    pinnedMemoryPoolByteSize: get<number>('pinned-memory-pool-byte-size'),
    log: {
      info: get<boolean>('log-info'),
      warning: get<boolean>('log-warning'),
      error: get<boolean>('log-error'),
      verboseLevel: get<number>('log-verbose'),
      format,
      file: get<string | undefined>('log-file') ?? '',
    },
    cacheConfig: cacheSettings(get<string[] | undefined>('cache-config'), get<number | undefined>('response-cache-byte-size')),
    rateLimit: rateLimitSettings(get<string>('rate-limit'), get<string[] | undefined>('rate-limit-resource')),
    trace: traceSettings(get),
    acceptedButIgnored,
    deprecationWarnings: values[camel('strict-model-config')] === undefined
      ? []
      : ["Warning: '--strict-model-config' has been deprecated! Please use '--disable-auto-complete-config' instead."],
  };
}
