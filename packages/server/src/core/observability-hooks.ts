/**
 * The seams through which core reaches tracing and the logger without importing observability/:
 * the CLI (or an embedding app) attaches implementations to the InferenceServer, and the frontends
 * reach them only through the server's trace/log settings methods (spec §1.7, §5).
 */
import type { InferenceRequest, InferenceRequestInit } from './request.js';
import type { InferenceResponse } from './response.js';

/** Where a request came from, filled by a frontend; every field is optional. */
export interface TraceOrigin {
  readonly protocol: 'HTTP' | 'GRPC';
  /** Monotonic ns (core/clock.ts) when the frontend started / finished reading the request. */
  readonly recvStartNs?: number;
  readonly recvEndNs?: number;
  /** W3C `traceparent` header or gRPC metadata value, for OpenTelemetry context propagation. */
  readonly traceparent?: string;
}

/** An `InferenceRequestInit` a frontend tags with its origin (read only when a tracer is attached). */
export interface TracedRequestInit extends InferenceRequestInit {
  readonly traceOrigin?: TraceOrigin;
}

/** One sampled request; finished once, at its final response. */
export interface RequestTrace {
  /**
   * `requestEndNs`: REQUEST_END; `sendStartNs`/`sendEndNs` bracket the frontend's delivery of the
   * final response (HTTP_SEND_* / GRPC_SEND_*). `response` is what the client was sent.
   */
  finish(request: InferenceRequest, response: InferenceResponse, requestEndNs: number, sendStartNs: number, sendEndNs: number): void;
}

/**
 * A partial trace setting (spec §1.7). `null` clears a model's override (back to the global value);
 * `undefined` leaves the field alone.
 */
export interface TraceSettingUpdate {
  /** Empty array = OFF. */
  level?: readonly ('TIMESTAMPS' | 'TENSORS')[] | null;
  rate?: number | null;
  count?: number | null;
  logFrequency?: number | null;
}

/** Trace settings as the protocol shows them: every value a string, `trace_level` an array. */
export type TraceSettingsView = Record<string, string | string[]>;

export interface Tracer {
  /**
   * False while no request can be traced (every level OFF): frontends then skip collecting origins
   * (receive stamps, traceparent), so an idle tracer costs one property read per request.
   */
  readonly enabled: boolean;
  /** Called for every request: must cost one counter check when the request is not traced. */
  sample(modelName: string, origin: TraceOrigin | undefined): RequestTrace | undefined;
  /** Global (`model` undefined) or a model's effective settings. */
  settings(model?: string): TraceSettingsView;
  /** Throws a ServerError for invalid values. */
  update(model: string | undefined, update: TraceSettingUpdate): void;
  /** The last finished traces, oldest first, as plain JSON-able objects (the web console's Traces page). */
  recent?(): readonly object[];
}

/**
 * `log_format` / `--log-format` values: Triton's `default` and `ISO8601`, and inferd's `json` (one JSON
 * object per line), accepted by the CLI and by the logging API alike so a setting read back can be sent back.
 */
export const LOG_FORMATS = ['default', 'ISO8601', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export function isLogFormat(value: string): value is LogFormat {
  return (LOG_FORMATS as readonly string[]).includes(value);
}

/** Logging settings in the protocol's shape (spec §1.7). */
export interface LogSettingsView {
  log_file: string;
  log_info: boolean;
  log_warning: boolean;
  log_error: boolean;
  log_verbose_level: number;
  log_format: LogFormat;
}

export interface LogSettingsUpdate {
  info?: boolean;
  warning?: boolean;
  error?: boolean;
  verboseLevel?: number;
  format?: LogFormat;
}

export interface LogControl {
  logSettings(): LogSettingsView;
  updateLogSettings(update: LogSettingsUpdate): void;
}

/** What the server reports when no tracer is attached: `--trace-config` defaults, always OFF. */
export const DEFAULT_TRACE_SETTINGS: TraceSettingsView = {
  trace_level: ['OFF'], trace_rate: '1000', trace_count: '-1', log_frequency: '0', trace_file: '', trace_mode: 'triton',
};

/** What the server reports when no logger is attached: the tritonserver defaults. */
export const DEFAULT_LOG_SETTINGS: LogSettingsView = {
  log_file: '', log_info: true, log_warning: true, log_error: true, log_verbose_level: 0, log_format: 'default',
};
