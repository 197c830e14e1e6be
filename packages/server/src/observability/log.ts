/**
 * Triton-style log lines: `I1123 09:01:21.123456 4242 component] message` (default) or
 * `2026-11-23T09:01:21Z I 4242 component] message` (ISO8601), on stderr or --log-file.
 */
import { appendFileSync } from 'node:fs';

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

export class Logger {
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
