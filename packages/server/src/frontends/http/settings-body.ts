/**
 * POST bodies of `/v2[/models/{m}]/trace/setting` and `/v2/logging` -> typed updates, with the checks
 * and messages of Triton's http_server.cc (HandleTrace, HandleLogging). TritonJson type errors are
 * INTERNAL there, as in json-access.ts.
 */
import { ServerError } from '../../core/index.js';
import { isLogFormat, type LogSettingsUpdate, type TraceSettingUpdate } from '../../core/observability-hooks.js';
import { has, isObject } from './json-access.js';
import { parseRequestJson } from './request-json.js';

const UINT32_MAX = 4294967295;
const INT32_MAX = 2147483647;

function asString(v: unknown): string {
  if (typeof v !== 'string') throw ServerError.internal('attempt to access JSON non-string as string');
  return v;
}

/** std::stoi: leading whitespace, optional sign, digits; trailing text ignored. */
function stoi(name: string, text: string, min: number, max: number): number {
  const m = /^\s*([+-]?\d+)/.exec(text);
  if (m === null) throw ServerError.invalidArg(`Unable to parse '${name}', got: ${text}`);
  const n = Number(m[1]);
  if (n < -2147483648 || n > INT32_MAX || n < min || n > max) {
    throw ServerError.invalidArg(`Unable to parse '${name}', value is out of range [ ${min}, ${max} ], got: ${text}`);
  }
  return n;
}

function body(bytes: Uint8Array): Record<string, unknown> {
  const json = parseRequestJson(bytes);
  if (!isObject(json)) throw ServerError.internal('attempt to get members for non-object');
  return json as Record<string, unknown>;
}

export function traceUpdateFromJson(bytes: Uint8Array): TraceSettingUpdate {
  const json = body(bytes);
  if (has(json, 'trace_file')) throw ServerError.unsupported('trace file location can not be updated through network protocol');
  const u: TraceSettingUpdate = {};
  if (has(json, 'trace_level')) {
    const v = json.trace_level;
    if (v === null) u.level = null;
    else {
      if (!Array.isArray(v)) throw ServerError.internal('attempt to access JSON non-array as array');
      const levels: ('TIMESTAMPS' | 'TENSORS')[] = [];
      let off = false;
      for (const item of v) {
        const s = asString(item);
        if (s === 'OFF') {
          if (v.length !== 1) throw ServerError.invalidArg("Expect only one trace level 'OFF' is specified");
          off = true;
        } else if (s === 'TIMESTAMPS' || s === 'TENSORS') {
          if (!levels.includes(s)) levels.push(s);
        }
      }
      // Unknown names are ignored, as in Triton; nothing recognised = no change.
      if (off || levels.length > 0) u.level = levels;
    }
  }
  if (has(json, 'trace_rate')) {
    u.rate = json.trace_rate === null ? null : stoi('trace_rate', asString(json.trace_rate), 0, UINT32_MAX);
  }
  if (has(json, 'trace_count')) {
    if (json.trace_count === null) u.count = null;
    else {
      const text = asString(json.trace_count);
      const n = stoi('trace_count', text, -2147483648, INT32_MAX);
      if (n < -1) throw ServerError.invalidArg(`Unable to parse 'trace_count'. Expecting value >= -1, got:${text}`);
      u.count = n;
    }
  }
  if (has(json, 'log_frequency')) {
    u.logFrequency = json.log_frequency === null ? null : stoi('log_frequency', asString(json.log_frequency), 0, UINT32_MAX);
  }
  return u;
}

export function logUpdateFromJson(bytes: Uint8Array): LogSettingsUpdate {
  const json = body(bytes);
  if (has(json, 'log_file') && json.log_file !== null) {
    throw ServerError.unsupported('log file location can not be updated through network protocol');
  }
  const u: LogSettingsUpdate = {};
  const bool = (key: 'log_info' | 'log_warning' | 'log_error'): boolean | undefined => {
    const v = json[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') throw ServerError.internal('attempt to access JSON non-boolean as boolean');
    return v;
  };
  const info = bool('log_info');
  if (info !== undefined) u.info = info;
  const warning = bool('log_warning');
  if (warning !== undefined) u.warning = warning;
  const error = bool('log_error');
  if (error !== undefined) u.error = error;
  const verbose = json.log_verbose_level;
  if (verbose !== undefined && verbose !== null) {
    if (typeof verbose !== 'number' || !Number.isInteger(verbose) || verbose < 0) {
      throw ServerError.internal('attempt to access JSON non-unsigned-integer as unsigned-integer');
    }
    u.verboseLevel = verbose;
  }
  const format = json.log_format;
  if (format !== undefined && format !== null) {
    const s = asString(format);
    // Triton answers an unknown format with UNAVAILABLE (503), not INVALID_ARG. `json` is inferd's own.
    if (!isLogFormat(s)) throw ServerError.unavailable(`invalid argument for --log_format, got: ${s}`);
    u.format = s;
  }
  return u;
}
