/**
 * Triton-style log lines: `I1123 09:01:21.123456 4242 component] message` (default) or
 * `2026-11-23T09:01:21Z I 4242 component] message` (ISO8601), on stderr or --log-file.
 */
import { appendFileSync } from 'node:fs';
import type { LogControl, LogSettingsUpdate, LogSettingsView } from '../core/observability-hooks.js';

export type LogLevel = 'info' | 'warning' | 'error' | 'verbose';
export const LOG_FORMATS = ['default', 'ISO8601'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LogSettings {
  info: boolean;
  warning: boolean;
  error: boolean;
  verboseLevel: number;
  format: LogFormat;
  /** Empty = stderr. */
  file: string;
}

const LETTER: Record<LogLevel, string> = { info: 'I', warning: 'W', error: 'E', verbose: 'V' };

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

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

  info(component: string, message: string): void {
    if (this.settings.info) this.#emit('info', component, message);
  }

  warning(component: string, message: string): void {
    if (this.settings.warning) this.#emit('warning', component, message);
  }

  error(component: string, message: string): void {
    if (this.settings.error) this.#emit('error', component, message);
  }

  verbose(level: number, component: string, message: string): void {
    if (this.settings.verboseLevel >= level) this.#emit('verbose', component, message);
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
  forComponent(component: string): (level: LogLevel, message: string) => void {
    return (level, message) => {
      if (level === 'verbose') this.verbose(1, component, message);
      else this[level](component, message);
    };
  }

  #emit(level: LogLevel, component: string, message: string): void {
    const now = new Date();
    const letter = LETTER[level];
    const prefix =
      this.settings.format === 'ISO8601'
        ? `${now.toISOString().slice(0, 19)}Z ${letter} ${process.pid} ${component}]`
        : `${letter}${pad(now.getMonth() + 1)}${pad(now.getDate())} ${pad(now.getHours())}:${pad(now.getMinutes())}:` +
          `${pad(now.getSeconds())}.${pad(now.getMilliseconds(), 3)}000 ${process.pid} ${component}]`;
    this.write(`${prefix} ${message}\n`);
  }
}
