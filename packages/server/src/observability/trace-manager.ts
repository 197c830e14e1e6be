/**
 * Triton's TraceManager: global and per-model trace settings (spec §1.7), request sampling and the
 * hand-off of finished traces to the trace file or the OpenTelemetry exporter. Attached to the
 * InferenceServer as its `tracer` (core/observability-hooks.ts).
 *
 * Sampling (as Triton): a scope traces every `rate`-th request while `count` (-1 = unlimited) lasts;
 * level OFF, rate 0 or count 0 trace nothing. Each settings update starts a fresh sample counter; the
 * remaining count carries over unless the update sets it. A model override keeps the fields it set and
 * follows the global settings in the others; `null` clears a field back to the global value.
 */
import { ServerError } from '../core/index.js';
import type { InferenceRequest } from '../core/request.js';
import type { InferenceResponse } from '../core/response.js';
import type {
  RequestTrace, TraceOrigin, TraceSettingUpdate, TraceSettingsView, Tracer,
} from '../core/observability-hooks.js';
import { TRACE_LEVEL_TENSORS, TRACE_LEVEL_TIMESTAMPS, type TraceConfig } from './trace-config.js';
import { TraceFile } from './trace-file.js';
import { completeTrace, type CompletedTrace } from './trace-record.js';
import { OtelTraceExporter } from './trace-otel.js';

interface Fields {
  level: number;
  rate: number;
  count: number;
  logFrequency: number;
}

/** The live state of one settings scope: its values and its sample counter. */
class Scope {
  readonly level: number;
  readonly rate: number;
  count: number;
  readonly logFrequency: number;
  sampled = 0;

  constructor(f: Fields) {
    this.level = f.level;
    this.rate = f.rate;
    this.count = f.count;
    this.logFrequency = f.logFrequency;
  }
}

interface ModelEntry {
  /** Only the fields the model set. */
  readonly own: Partial<Fields>;
  scope: Scope;
}

const levelNames = (level: number): string[] => {
  if (level === 0) return ['OFF'];
  const out: string[] = [];
  if ((level & TRACE_LEVEL_TIMESTAMPS) !== 0) out.push('TIMESTAMPS');
  if ((level & TRACE_LEVEL_TENSORS) !== 0) out.push('TENSORS');
  return out;
};

const levelBits = (names: readonly string[]): number =>
  names.reduce((bits, n) => bits | (n === 'TIMESTAMPS' ? TRACE_LEVEL_TIMESTAMPS : n === 'TENSORS' ? TRACE_LEVEL_TENSORS : 0), 0);

class SampledTrace implements RequestTrace {
  readonly #manager: TraceManager;
  readonly #scope: Scope;
  readonly #id: number;
  readonly #origin: TraceOrigin | undefined;

  constructor(manager: TraceManager, scope: Scope, id: number, origin: TraceOrigin | undefined) {
    this.#manager = manager;
    this.#scope = scope;
    this.#id = id;
    this.#origin = origin;
  }

  finish(request: InferenceRequest, response: InferenceResponse, requestEnd: number, sendStart: number, sendEnd: number): void {
    const level = this.#scope.level;
    const t = completeTrace(
      this.#id, request, response, this.#origin, { requestEnd, sendStart, sendEnd },
      (level & TRACE_LEVEL_TIMESTAMPS) !== 0, (level & TRACE_LEVEL_TENSORS) !== 0,
    );
    this.#manager.collect(t, this.#scope);
  }
}

/** How many finished traces the console's Traces page can show. */
const RECENT_TRACES = 50;

export class TraceManager implements Tracer {
  readonly #config: TraceConfig;
  #global: Scope;
  readonly #models = new Map<string, ModelEntry>();
  readonly #file: TraceFile;
  readonly #otel: OtelTraceExporter | undefined;
  #nextId = 1;
  /** The last RECENT_TRACES finished traces, a ring: `#recentAt` is the next slot to overwrite. */
  readonly #recent: CompletedTrace[] = [];
  #recentAt = 0;
  enabled = false;

  constructor(config: TraceConfig, onError: (message: string) => void = () => {}) {
    this.#config = config;
    this.#global = new Scope(config);
    this.#file = new TraceFile(config.file, onError);
    this.#otel = config.mode === 'opentelemetry' ? new OtelTraceExporter(config.otel) : undefined;
    this.#refreshEnabled();
    if (this.#otel === undefined && config.file === '' && config.level !== 0) {
      onError('a trace level is set but no trace file (--trace-config triton,file=<path>): traces are kept only for the web console (the last 50)');
    }
  }

  #refreshEnabled(): void {
    this.enabled = this.#global.level !== 0 || [...this.#models.values()].some((m) => m.scope.level !== 0);
  }

  sample(modelName: string, origin: TraceOrigin | undefined): RequestTrace | undefined {
    const scope = this.#models.size === 0 ? this.#global : (this.#models.get(modelName)?.scope ?? this.#global);
    if (scope.level === 0) return undefined;
    // OpenTelemetry: a request carrying its caller's context is always traced (Triton 24.01+).
    if (this.#otel === undefined || origin?.traceparent === undefined) {
      if (scope.rate === 0 || scope.count === 0) return undefined;
      scope.sampled += 1;
      if (scope.sampled % scope.rate !== 0) return undefined;
      if (scope.count > 0) scope.count -= 1;
    }
    return new SampledTrace(this, scope, this.#nextId++, origin);
  }

  /** Called by a finished trace. */
  collect(trace: ReturnType<typeof completeTrace>, scope: Scope): void {
    // Kept for the web console whatever the sink: a traced request is already the slow path.
    if (this.#recent.length < RECENT_TRACES) this.#recent.push(trace);
    else this.#recent[this.#recentAt] = trace;
    this.#recentAt = (this.#recentAt + 1) % RECENT_TRACES;
    if (this.#otel !== undefined) this.#otel.export(trace);
    else this.#file.add(trace, scope.logFrequency);
  }

  recent(): readonly CompletedTrace[] {
    if (this.#recent.length < RECENT_TRACES) return [...this.#recent];
    return [...this.#recent.slice(this.#recentAt), ...this.#recent.slice(0, this.#recentAt)];
  }

  settings(model?: string): TraceSettingsView {
    const s = model === undefined ? this.#global : (this.#models.get(model)?.scope ?? this.#global);
    const view: TraceSettingsView = {
      trace_level: levelNames(s.level), trace_rate: String(s.rate), trace_count: String(s.count),
    };
    if (this.#otel === undefined) {
      view.log_frequency = String(s.logFrequency);
      view.trace_file = this.#config.file;
      view.trace_mode = 'triton';
    } else {
      const o = this.#config.otel;
      view.trace_mode = 'opentelemetry';
      view.url = o.url;
      view.resource = Object.entries(o.resource).map(([k, v]) => `${k}=${v}`).join(',');
      view.bsp_max_queue_size = String(o.bspMaxQueueSize);
      view.bsp_schedule_delay = String(o.bspScheduleDelay);
      view.bsp_max_export_batch_size = String(o.bspMaxExportBatchSize);
    }
    return view;
  }

  update(model: string | undefined, u: TraceSettingUpdate): void {
    if (model === undefined) {
      if (u.level === null || u.rate === null || u.count === null || u.logFrequency === null) {
        throw ServerError.invalidArg('Can not clear global trace setting');
      }
      const g = this.#global;
      const f: Fields = {
        level: u.level === undefined ? g.level : levelBits(u.level),
        rate: u.rate ?? g.rate,
        count: u.count ?? g.count,
        logFrequency: u.logFrequency ?? g.logFrequency,
      };
      this.#global = new Scope(f);
      // Models follow the global value in every field they did not set.
      for (const entry of this.#models.values()) entry.scope = this.#modelScope(entry.own, entry.scope);
      this.#refreshEnabled();
      return;
    }
    const entry = this.#models.get(model);
    const own: Partial<Fields> = { ...entry?.own };
    const set = <K extends keyof Fields>(key: K, value: Fields[K] | null | undefined): void => {
      if (value === null) delete own[key];
      else if (value !== undefined) own[key] = value;
    };
    set('level', u.level === undefined || u.level === null ? u.level : levelBits(u.level));
    set('rate', u.rate);
    set('count', u.count);
    set('logFrequency', u.logFrequency);
    if (Object.keys(own).length === 0) this.#models.delete(model);
    else this.#models.set(model, { own, scope: this.#modelScope(own, entry?.scope, u.count !== undefined) });
    this.#refreshEnabled();
  }

  /** Writes what is pending and stops the exporter (server shutdown). */
  async shutdown(): Promise<void> {
    this.#file.flush(this.#global.logFrequency);
    await this.#otel?.shutdown();
  }

  /** Writes pending traces to the file / sends pending spans, without stopping (tests). */
  async flush(): Promise<void> {
    this.#file.flush(this.#global.logFrequency);
    await this.#otel?.flush();
  }

  #modelScope(own: Partial<Fields>, previous: Scope | undefined, countSet = false): Scope {
    const g = this.#global;
    const count = own.count !== undefined
      ? (countSet || previous === undefined ? own.count : previous.count)
      : g.count;
    return new Scope({
      level: own.level ?? g.level,
      rate: own.rate ?? g.rate,
      count,
      logFrequency: own.logFrequency ?? g.logFrequency,
    });
  }
}
