/**
 * Triton-style log lines: `I1123 09:01:21.123456 4242 component] message` (default) or
 * `2026-11-23T09:01:21Z I 4242 component] message` (ISO8601), on stderr or --log-file. inferd adds
 * `json` (log-format.ts): one JSON object per line, for log collectors (Loki, Elasticsearch, Cloud Logging)
 * that would otherwise need a parser for Triton's prefix.
 */
import { appendFileSync } from 'node:fs';
import type { LogControl, LogFormat, LogSettingsUpdate, LogSettingsView } from '../core/observability-hooks.js';
import { formatLine, type LogFields, type LogLevel } from './log-format.js';

export { LOG_FORMATS, type LogFormat } from '../core/observability-hooks.js';
export type { LogFields, LogLevel } from './log-format.js';

export interface LogSettings {
  info: boolean;
  warning: boolean;
  error: boolean;
  verboseLevel: number;
  format: LogFormat;
  /** Empty = stderr. */
  file: string;
}

/** Also the server's LogControl: the logging API (spec §1.7) changes these settings live. */
export class Logger implements LogControl {
  readonly settings: LogSettings;
  /** Where lines go; tests and embedding apps may replace it. */
  write: (line: string) => void;

  constructor(settings: Partial<LogSettings> = {}) {
    this.settings = { info: true, warning: true, error: true, verboseLevel: 0, format: 'default', file: '', ...settings };
    this.write = (line) => {
      if (this.settings.file === '') process.stderr.write(line);
      else appendFileSync(this.settings.file, line);
    };
  }

  /** `fields` are structured values the message already names (model, version, ...); only `json` prints them. */
  info(component: string, message: string, fields?: LogFields): void {
    if (this.settings.info) this.#emit('info', component, message, fields);
  }

  warning(component: string, message: string, fields?: LogFields): void {
    if (this.settings.warning) this.#emit('warning', component, message, fields);
  }

  error(component: string, message: string, fields?: LogFields): void {
    if (this.settings.error) this.#emit('error', component, message, fields);
  }

  verbose(level: number, component: string, message: string, fields?: LogFields): void {
    if (this.settings.verboseLevel >= level) this.#emit('verbose', component, message, { verbose_level: level, ...fields });
  }

  logSettings(): LogSettingsView {
    const s = this.settings;
    return {
      log_file: s.file, log_info: s.info, log_warning: s.warning, log_error: s.error,
      log_verbose_level: s.verboseLevel, log_format: s.format,
    };
  }

  /** Applies a validated update (the frontends check types and values with Triton's messages). */
  updateLogSettings(u: LogSettingsUpdate): void {
    const s = this.settings;
    if (u.info !== undefined) s.info = u.info;
    if (u.warning !== undefined) s.warning = u.warning;
    if (u.error !== undefined) s.error = u.error;
    if (u.verboseLevel !== undefined) s.verboseLevel = u.verboseLevel;
    if (u.format !== undefined) s.format = u.format;
  }

  /** A function view for code that logs by level (frontends, backends). */
  forComponent(component: string): (level: LogLevel, message: string, fields?: LogFields) => void {
    return (level, message, fields) => {
      if (level === 'verbose') this.verbose(1, component, message, fields);
      else this[level](component, message, fields);
    };
  }

  #emit(level: LogLevel, component: string, message: string, fields: LogFields | undefined): void {
    this.write(formatLine(this.settings.format, { time: new Date(), level, pid: process.pid, component, message, fields }));
  }
}
