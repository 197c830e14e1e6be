/** Server-level endpoints: health, metadata, trace and logging settings (spec §1.1, §1.2, §1.7). */
import { ServerError } from '../../core/index.js';
import type { HandlerContext, HttpCall } from './context.js';
import { errorReply, jsonReply, METHOD_NOT_ALLOWED, type Reply } from './reply.js';

/** Defaults of `--trace-config` (tracing is not implemented: it is always OFF). */
export const TRACE_SETTINGS = {
  trace_level: ['OFF'], trace_rate: '1000', trace_count: '-1', log_frequency: '0', trace_file: '', trace_mode: 'triton',
} as const;

/** Logging settings as reported at the server defaults. */
export const LOG_SETTINGS = {
  log_file: '', log_info: true, log_warning: true, log_error: true, log_verbose_level: 0, log_format: 'default',
} as const;

const TRACE_JSON = JSON.stringify(TRACE_SETTINGS);
const LOG_JSON = JSON.stringify(LOG_SETTINGS);

export function handleHealth(ctx: HandlerContext, call: HttpCall, probe: 'live' | 'ready'): Reply {
  if (call.req.method !== 'GET') return METHOD_NOT_ALLOWED;
  const ok = probe === 'live' ? ctx.server.live() : ctx.server.ready();
  return { status: ok ? 200 : 400 };
}

export function handleServerMetadata(ctx: HandlerContext, call: HttpCall): Reply {
  if (call.req.method !== 'GET') return METHOD_NOT_ALLOWED;
  return jsonReply(JSON.stringify(ctx.server.metadata()));
}

/** Global or model trace settings; a model must be ready. Updates are not supported yet. */
export async function handleTrace(ctx: HandlerContext, call: HttpCall, model?: string): Promise<Reply> {
  const method = call.req.method;
  if (method !== 'GET' && method !== 'POST') return METHOD_NOT_ALLOWED;
  if (model !== undefined) {
    let ready = false;
    try {
      ready = await ctx.server.modelReady(model);
    } catch {
      ready = false;
    }
    if (!ready) return errorReply(ServerError.invalidArg(`Request for unknown model : ${model}`));
  }
  if (method === 'POST') return errorReply(ServerError.unsupported('trace settings are not supported yet'));
  return jsonReply(TRACE_JSON);
}

export function handleLogging(_ctx: HandlerContext, call: HttpCall): Reply {
  const method = call.req.method;
  if (method !== 'GET' && method !== 'POST') return METHOD_NOT_ALLOWED;
  if (method === 'POST') return errorReply(ServerError.unsupported('logging settings are not supported yet'));
  return jsonReply(LOG_JSON);
}
