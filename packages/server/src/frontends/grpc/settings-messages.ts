/**
 * TraceSetting and LogSettings messages <-> typed updates and views, with the checks and messages of
 * Triton's grpc CommonHandler (spec §5.1): an empty value list clears a model's trace field; a
 * `log_file` key in any form is refused; a setting of the wrong oneof kind is INVALID_ARG.
 */
import type { pb } from '@inferd/protocol';
import { ServerError } from '../../core/index.js';
import {
  isLogFormat, type LogSettingsUpdate, type LogSettingsView, type TraceSettingUpdate, type TraceSettingsView,
} from '../../core/observability-hooks.js';

const UINT32_MAX = 4294967295;
const INT32_MAX = 2147483647;

/** std::stoi as Triton applies it: leading digits, range checked. */
function stoi(name: string, text: string, min: number, max: number): number {
  const m = /^\s*([+-]?\d+)/.exec(text);
  if (m === null) throw ServerError.invalidArg(`Unable to parse '${name}', got: ${text}`);
  const n = Number(m[1]);
  if (n < min || n > max) {
    throw ServerError.invalidArg(`Unable to parse '${name}', value is out of range [ ${min}, ${max} ], got: ${text}`);
  }
  return n;
}

function single(settings: pb.TraceSettingRequest['settings'], name: string): string | null | undefined {
  const v = settings[name];
  if (v === undefined) return undefined;
  if (v.value.length === 0) return null;
  if (v.value.length > 1) throw ServerError.invalidArg(`expect only 1 value for '${name}'`);
  return v.value[0]!;
}

export function traceUpdateFromMessage(req: pb.TraceSettingRequest): TraceSettingUpdate | undefined {
  const s = req.settings;
  if (Object.keys(s).length === 0) return undefined;
  if (s.trace_file !== undefined) throw ServerError.unsupported('trace file location can not be updated through network protocol');
  const u: TraceSettingUpdate = {};
  const level = s.trace_level;
  if (level !== undefined) {
    if (level.value.length === 0) u.level = null;
    else {
      const levels: ('TIMESTAMPS' | 'TENSORS')[] = [];
      let off = false;
      for (const name of level.value) {
        if (name === 'OFF') {
          if (level.value.length !== 1) throw ServerError.invalidArg("Expect only one trace level 'OFF' is specified");
          off = true;
        } else if ((name === 'TIMESTAMPS' || name === 'TENSORS') && !levels.includes(name)) levels.push(name);
      }
      if (off || levels.length > 0) u.level = levels;
    }
  }
  const rate = single(s, 'trace_rate');
  if (rate !== undefined) u.rate = rate === null ? null : stoi('trace_rate', rate, 0, UINT32_MAX);
  const count = single(s, 'trace_count');
  if (count !== undefined) {
    if (count === null) u.count = null;
    else {
      const n = stoi('trace_count', count, -2147483648, INT32_MAX);
      if (n < -1) throw ServerError.invalidArg(`Unable to parse 'trace_count'. Expecting value >= -1, got:${count}`);
      u.count = n;
    }
  }
  const freq = single(s, 'log_frequency');
  if (freq !== undefined) u.logFrequency = freq === null ? null : stoi('log_frequency', freq, 0, UINT32_MAX);
  return u;
}

export function traceSettingsMessage(view: TraceSettingsView): pb.TraceSettingResponseInit {
  const settings: Record<string, pb.TraceSettingResponse_SettingValueInit> = {};
  for (const [k, v] of Object.entries(view)) settings[k] = { value: Array.isArray(v) ? v : [v] };
  return { settings };
}

export function logUpdateFromMessage(req: pb.LogSettingsRequest): LogSettingsUpdate | undefined {
  const s = req.settings;
  if (Object.keys(s).length === 0) return undefined;
  if (s.log_file !== undefined) throw ServerError.unsupported('log file location can not be updated through network protocol');
  const u: LogSettingsUpdate = {};
  for (const key of ['log_info', 'log_warning', 'log_error'] as const) {
    const v = s[key];
    if (v === undefined) continue;
    if (v.parameter_choice !== 'bool_param') throw ServerError.invalidArg(`expect boolean for '${key}'`);
    u[key === 'log_info' ? 'info' : key === 'log_warning' ? 'warning' : 'error'] = v.bool_param === true;
  }
  const verbose = s.log_verbose_level;
  if (verbose !== undefined) {
    if (verbose.parameter_choice !== 'uint32_param') throw ServerError.invalidArg("expect int32 for 'log_verbose_level'");
    u.verboseLevel = verbose.uint32_param ?? 0;
  }
  const format = s.log_format;
  if (format !== undefined) {
    if (format.parameter_choice !== 'string_param') throw ServerError.invalidArg("expect string for 'log_format'");
    const f = format.string_param ?? '';
    if (!isLogFormat(f)) throw ServerError.invalidArg(`invalid argument for log_format, got: ${f}`);
    u.format = f;
  }
  return u;
}

export function logSettingsMessage(v: LogSettingsView): pb.LogSettingsResponseInit {
  return {
    settings: {
      log_file: { string_param: v.log_file },
      log_info: { bool_param: v.log_info },
      log_warning: { bool_param: v.log_warning },
      log_error: { bool_param: v.log_error },
      log_verbose_level: { uint32_param: v.log_verbose_level },
      log_format: { string_param: v.log_format },
    },
  };
}
