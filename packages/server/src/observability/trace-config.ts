/**
 * `--trace-config [triton|opentelemetry,]<key>=<value>` and the deprecated `--trace-file/-level/-rate/
 * -count/-log-frequency` flags (spec §8) -> one TraceConfig. Global keys: `level` (repeatable),
 * `rate`, `count`, `mode`; triton: `file`, `log-frequency`; opentelemetry: `url`, `resource`
 * (repeatable `key=value`), `bsp_max_queue_size`, `bsp_schedule_delay`, `bsp_max_export_batch_size`.
 */
import { ServerError } from '../core/index.js';

/** Bit flags as TRITONSERVER_InferenceTraceLevel: 0 = OFF. */
export const TRACE_LEVEL_TIMESTAMPS = 1;
export const TRACE_LEVEL_TENSORS = 2;

export type TraceMode = 'triton' | 'opentelemetry';

export interface OtelConfig {
  url: string;
  /** Resource attributes; `service.name` defaults to `triton-inference-server`. */
  resource: Record<string, string>;
  bspMaxQueueSize: number;
  /** ms */
  bspScheduleDelay: number;
  bspMaxExportBatchSize: number;
}

export interface TraceConfig {
  mode: TraceMode;
  /** Bit set of TRACE_LEVEL_*. */
  level: number;
  rate: number;
  /** -1 = unlimited. */
  count: number;
  /** Traces per file (`file.0`, `file.1`, ...); 0 = everything into `file` when tracing stops. */
  logFrequency: number;
  file: string;
  otel: OtelConfig;
}

export function defaultTraceConfig(): TraceConfig {
  return {
    mode: 'triton', level: 0, rate: 1000, count: -1, logFrequency: 0, file: '',
    otel: {
      url: 'http://localhost:4318/v1/traces', resource: { 'service.name': 'triton-inference-server' },
      bspMaxQueueSize: 2048, bspScheduleDelay: 5000, bspMaxExportBatchSize: 512,
    },
  };
}

/** The deprecated single-purpose flags, as parsed by the CLI. */
export interface LegacyTraceFlags {
  file?: string;
  level?: readonly string[];
  rate?: number;
  count?: number;
  logFrequency?: number;
}

const bad = (message: string): ServerError => ServerError.invalidArg(message);

function integer(key: string, value: string, min: number): number {
  if (!/^-?\d+$/.test(value.trim())) throw bad(`invalid argument for --trace-config ${key}, got: ${value}`);
  const n = Number(value);
  if (n < min) throw bad(`invalid argument for --trace-config ${key}, expecting value >= ${min}, got: ${value}`);
  return n;
}

/** OFF resets the levels; TIMESTAMPS/TENSORS add (MIN/MAX are the old spellings of TIMESTAMPS). */
function addLevel(level: number, value: string): number {
  switch (value.toUpperCase()) {
    case 'OFF': return 0;
    case 'TIMESTAMPS': case 'MIN': case 'MAX': return level | TRACE_LEVEL_TIMESTAMPS;
    case 'TENSORS': return level | TRACE_LEVEL_TENSORS;
    default: throw bad(`invalid argument for --trace-config level, got: ${value}`);
  }
}

export function parseTraceConfig(entries: readonly string[], legacy: LegacyTraceFlags = {}): TraceConfig {
  const c = defaultTraceConfig();
  // Deprecated flags first: --trace-config wins where both are given, as in tritonserver.
  if (legacy.file !== undefined) c.file = legacy.file;
  for (const l of legacy.level ?? []) c.level = addLevel(c.level, l);
  if (legacy.rate !== undefined) c.rate = legacy.rate;
  if (legacy.count !== undefined) c.count = legacy.count;
  if (legacy.logFrequency !== undefined) c.logFrequency = legacy.logFrequency;
  let resourceSet = false;
  for (const entry of entries) {
    const comma = entry.indexOf(',');
    const eq = entry.indexOf('=');
    let scope = '';
    let kv = entry;
    if (comma >= 0 && (eq < 0 || comma < eq)) {
      scope = entry.slice(0, comma);
      kv = entry.slice(comma + 1);
    }
    const at = kv.indexOf('=');
    if (at <= 0) throw bad(`invalid argument for --trace-config, expected <key>=<value>, got: ${entry}`);
    const key = kv.slice(0, at);
    const value = kv.slice(at + 1);
    if (scope === '') {
      switch (key) {
        case 'level': c.level = addLevel(c.level, value); break;
        case 'rate': c.rate = integer(key, value, 0); break;
        case 'count': c.count = integer(key, value, -1); break;
        case 'mode':
          if (value !== 'triton' && value !== 'opentelemetry') throw bad(`invalid argument for --trace-config mode, got: ${value}`);
          c.mode = value;
          break;
        // Triton also accepts the triton-mode keys without their prefix.
        case 'file': c.file = value; break;
        case 'log-frequency': c.logFrequency = integer(key, value, 0); break;
        default: throw bad(`unknown --trace-config setting '${key}'`);
      }
    } else if (scope === 'triton') {
      if (key === 'file') c.file = value;
      else if (key === 'log-frequency') c.logFrequency = integer(key, value, 0);
      else throw bad(`unknown --trace-config triton setting '${key}'`);
    } else if (scope === 'opentelemetry') {
      switch (key) {
        case 'url': c.otel.url = value; break;
        case 'resource': {
          const r = value.indexOf('=');
          if (r <= 0) throw bad(`invalid argument for --trace-config opentelemetry,resource, expected <key>=<value>, got: ${value}`);
          if (!resourceSet) c.otel.resource = { 'service.name': 'triton-inference-server' };
          resourceSet = true;
          c.otel.resource[value.slice(0, r)] = value.slice(r + 1);
          break;
        }
        case 'bsp_max_queue_size': c.otel.bspMaxQueueSize = integer(key, value, 1); break;
        case 'bsp_schedule_delay': c.otel.bspScheduleDelay = integer(key, value, 0); break;
        case 'bsp_max_export_batch_size': c.otel.bspMaxExportBatchSize = integer(key, value, 1); break;
        default: throw bad(`unknown --trace-config opentelemetry setting '${key}'`);
      }
    } else {
      throw bad(`invalid argument for --trace-config, unknown trace mode '${scope}'`);
    }
  }
  if (c.otel.bspMaxExportBatchSize > c.otel.bspMaxQueueSize) {
    throw bad('--trace-config opentelemetry,bsp_max_export_batch_size must be <= bsp_max_queue_size');
  }
  if (c.mode === 'opentelemetry' && (c.level & TRACE_LEVEL_TENSORS) !== 0) {
    throw bad('opentelemetry trace mode does not support the TENSORS trace level');
  }
  return c;
}
