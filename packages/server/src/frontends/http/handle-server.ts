/** Server-level endpoints: health, metadata, trace and logging settings (spec §1.1, §1.2, §1.7). */
import type { HandlerContext, HttpCall } from './context.js';
import { jsonReply, METHOD_NOT_ALLOWED, type Reply } from './reply.js';
import { logUpdateFromJson, traceUpdateFromJson } from './settings-body.js';

export function handleHealth(ctx: HandlerContext, call: HttpCall, probe: 'live' | 'ready'): Reply {
  if (call.req.method !== 'GET') return METHOD_NOT_ALLOWED;
  const ok = probe === 'live' ? ctx.server.live() : ctx.server.ready();
  return { status: ok ? 200 : 400 };
}

export function handleServerMetadata(ctx: HandlerContext, call: HttpCall): Reply {
  if (call.req.method !== 'GET') return METHOD_NOT_ALLOWED;
  return jsonReply(JSON.stringify(ctx.server.metadata()));
}

/** Global or model trace settings (a model must be ready); POST applies an update first. */
export async function handleTrace(ctx: HandlerContext, call: HttpCall, model?: string): Promise<Reply> {
  const method = call.req.method;
  if (method !== 'GET' && method !== 'POST') return METHOD_NOT_ALLOWED;
  // The model check comes first, as in Triton: an unknown model wins over a bad body.
  if (model !== undefined) await ctx.server.traceSettings(model);
  const update = method === 'POST' ? traceUpdateFromJson(call.body) : undefined;
  return jsonReply(JSON.stringify(await ctx.server.traceSettings(model, update)));
}

/** Logging settings; POST applies an update first and answers with the full settings. */
export function handleLogging(ctx: HandlerContext, call: HttpCall): Reply {
  const method = call.req.method;
  if (method !== 'GET' && method !== 'POST') return METHOD_NOT_ALLOWED;
  const update = method === 'POST' ? logUpdateFromJson(call.body) : undefined;
  return jsonReply(JSON.stringify(ctx.server.logSettings(update)));
}
