/** Per-model endpoints other than infer: metadata, ready, config, statistics (spec §1.1, §1.3, §1.4, §4.4). */
import type { HandlerContext, HttpCall } from './context.js';
import { errorMessageReply, jsonReply, METHOD_NOT_ALLOWED, type Reply } from './reply.js';

export function handleModelMetadata(ctx: HandlerContext, call: HttpCall, model: string, version: string): Reply {
  if (call.req.method !== 'GET') return METHOD_NOT_ALLOWED;
  return jsonReply(JSON.stringify(ctx.server.modelMetadata(model, version)));
}

export function handleModelConfig(ctx: HandlerContext, call: HttpCall, model: string, version: string): Reply {
  if (call.req.method !== 'GET') return METHOD_NOT_ALLOWED;
  return jsonReply(JSON.stringify(ctx.server.modelConfig(model, version)));
}

/** `model` undefined = every model (`/v2/models/stats`). */
export function handleModelStats(ctx: HandlerContext, call: HttpCall, model?: string, version?: string): Reply {
  if (call.req.method !== 'GET') return METHOD_NOT_ALLOWED;
  return jsonReply(JSON.stringify(ctx.server.modelStatistics(model, version)));
}

export async function handleModelReady(ctx: HandlerContext, call: HttpCall, model: string, version: string): Promise<Reply> {
  if (call.req.method !== 'GET') return METHOD_NOT_ALLOWED;
  const ready = await ctx.server.modelReady(model, version);
  return ready ? { status: 200 } : errorMessageReply(400, 'Model version not ready');
}
