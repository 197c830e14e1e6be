/**
 * How one log record becomes one line, per `--log-format`:
 * - `default` (Triton's): `I1206 19:51:06.123000 4242 component] message`, local time.
 * - `ISO8601` (Triton's): `2026-12-06T19:51:06Z I 4242 component] message`, UTC.
 * - `json` (inferd's): `{"time":"2026-12-06T19:51:06.123Z","level":"info","pid":4242,"source":"component",
 *   "message":"...", ...fields}` — one object per line, so a collector needs no parser; the structured
 *   fields a call site passes (model, version, address, ...) become top-level keys.
 */

import type { LogFormat } from '../core/observability-hooks.js';

export type LogLevel = 'info' | 'warning' | 'error' | 'verbose';

/** Structured values of one record (JSON scalars only, so every collector can index them). */
export type LogFields = Readonly<Record<string, string | number | boolean>>;

export interface LogRecord {
  readonly time: Date;
  readonly level: LogLevel;
  readonly pid: number;
  readonly component: string;
  readonly message: string;
  readonly fields: LogFields | undefined;
}

/** The keys every JSON line has; a field of the same name cannot replace them. */
const RESERVED = new Set(['time', 'level', 'pid', 'source', 'message']);

const LETTER: Record<LogLevel, string> = { info: 'I', warning: 'W', error: 'E', verbose: 'V' };

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

export function formatLine(format: LogFormat, r: LogRecord): string {
  const letter = LETTER[r.level];
  const t = r.time;
  switch (format) {
    case 'json': {
      const out: Record<string, string | number | boolean> = {
        time: t.toISOString(), level: r.level, pid: r.pid, source: r.component, message: r.message,
      };
      for (const [k, v] of Object.entries(r.fields ?? {})) if (!RESERVED.has(k)) out[k] = v;
      // JSON.stringify escapes newlines inside the message, so a record is always exactly one line.
      return `${JSON.stringify(out)}\n`;
    }
    case 'ISO8601':
      return `${t.toISOString().slice(0, 19)}Z ${letter} ${r.pid} ${r.component}] ${r.message}\n`;
    case 'default':
      return `${letter}${pad(t.getMonth() + 1)}${pad(t.getDate())} ${pad(t.getHours())}:${pad(t.getMinutes())}:` +
        `${pad(t.getSeconds())}.${pad(t.getMilliseconds(), 3)}000 ${r.pid} ${r.component}] ${r.message}\n`;
  }
}
