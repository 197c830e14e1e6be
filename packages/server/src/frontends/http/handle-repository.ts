/** Model repository extension: index, load, unload (spec §1.6). */
import { ServerError, type ModelIndexEntry } from '../../core/index.js';
import type { HandlerContext, HttpCall } from './context.js';
import { accessError, asBool, has, isObject, type JsonObject } from './json-access.js';
import { JSON_TYPE, jsonReply, METHOD_NOT_ALLOWED, type Reply } from './reply.js';
import { parseRequestJson } from './request-json.js';

function renderEntry(e: ModelIndexEntry): Record<string, string> {
  const out: Record<string, string> = { name: e.name };
  if (e.version !== undefined) out.version = e.version;
  if (e.state !== undefined) out.state = e.state;
  if (e.reason !== undefined && e.reason !== '') out.reason = e.reason;
  return out;
}

export function handleRepositoryIndex(ctx: HandlerContext, call: HttpCall): Reply {
  if (call.req.method !== 'POST') return METHOD_NOT_ALLOWED;
  let readyOnly = false;
  if (call.body.byteLength > 0) {
    const json = parseRequestJson(call.body);
    if (has(json, 'ready')) {
      const ready = (json as JsonObject).ready;
      if (typeof ready !== 'boolean') throw ServerError.invalidArg("Invalid value for 'ready': expected a boolean");
      readyOnly = ready;
    }
  }
  return jsonReply(JSON.stringify(ctx.server.repositoryIndex(readyOnly).map(renderEntry)));
}

/** The `parameters` object of a load/unload body (absent or empty body = none). */
function bodyParameters(body: Buffer): JsonObject {
  if (body.byteLength === 0) return {};
  const json = parseRequestJson(body);
  if (!has(json, 'parameters')) return {};
  const params = (json as JsonObject).parameters;
  if (!isObject(params)) throw accessError('failed to get load parameters', 'attempt to get members for non-object');
  return params;
}

export async function handleRepositoryControl(
  ctx: HandlerContext,
  call: HttpCall,
  repository: string,
  model: string,
  action: 'load' | 'unload',
): Promise<Reply> {
  if (call.req.method !== 'POST') return METHOD_NOT_ALLOWED;
  if (repository !== '') throw ServerError.unsupported("'repository_name' specification is not supported");
  const params = bodyParameters(call.body);
  if (action === 'load') {
    for (const v of Object.values(params)) {
      if (typeof v !== 'string') throw accessError('Unable to parse load parameters', 'attempt to access JSON non-string as string');
    }
    await ctx.server.loadModel(model, params);
  } else {
    if (has(params, 'unload_dependents')) asBool(params.unload_dependents, "Unable to parse 'unload_dependents'");
    await ctx.server.unloadModel(model, params);
  }
  return { status: 200, contentType: JSON_TYPE };
}
