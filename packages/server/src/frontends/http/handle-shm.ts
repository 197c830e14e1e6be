/**
 * Shared-memory extension (spec §1.8): system regions live in the server's SystemSharedMemory registry
 * (register/unregister refused unless --allow-client-shm); CUDA behaves like a CPU-only Triton build.
 * Register body texts follow Triton's HTTP frontend.
 */
import { JSON_ACCESS } from '@inferd/protocol';
import { CLIENT_SHM_DISABLED, ServerError, type SystemSharedMemory } from '../../core/index.js';
import type { HandlerContext, HttpCall } from './context.js';
import { has, isUint, type JsonObject } from './json-access.js';
import { JSON_TYPE, jsonReply, METHOD_NOT_ALLOWED, type Reply } from './reply.js';
import { parseRequestJson } from './request-json.js';
import type { ShmAction } from './routes.js';

const OK: Reply = { status: 200, contentType: JSON_TYPE };

export function handleShm(
  ctx: HandlerContext,
  call: HttpCall,
  memory: 'system' | 'cuda',
  region: string,
  action: ShmAction,
): Reply {
  const method = call.req.method;
  if (action === 'status' ? method !== 'GET' : method !== 'POST') return METHOD_NOT_ALLOWED;
  if (memory === 'system') return systemShm(ctx.server.sharedMemory, call, region, action);
  if (action === 'status') {
    if (region !== '') throw ServerError.notFound(`Unable to find cuda shared memory region: '${region}'`);
    return jsonReply('[]');
  }
  if (action === 'register') {
    if (region === '') throw ServerError.invalidArg("'region name' is necessary to register cuda shared memory region");
    throw ServerError.invalidArg(`failed to register CUDA shared memory region: '${region}', GPUs not supported`);
  }
  return OK;
}

function systemShm(shm: SystemSharedMemory, call: HttpCall, region: string, action: ShmAction): Reply {
  if (action === 'status') return jsonReply(JSON.stringify(shm.status(region)));
  if (action === 'unregister') {
    shm.unregister(region);
    return OK;
  }
  // Disabled client shm refuses every register, whatever the body says.
  if (!shm.enabled) throw ServerError.unsupported(CLIENT_SHM_DISABLED);
  if (region === '') throw ServerError.invalidArg("'region name' is necessary to register system shared memory region");
  const body = parseRequestJson(call.body);
  if (!has(body, 'key')) throw ServerError.invalidArg("Shared memory register request has no 'key' field");
  const json = body as JsonObject;
  if (typeof json.key !== 'string') throw ServerError.internal(JSON_ACCESS.string);
  let offset = 0;
  if (has(json, 'offset')) offset = uint(json.offset);
  if (!has(json, 'byte_size')) throw ServerError.invalidArg("Shared memory register request has no 'byte_size' field");
  const byteSize = uint(json.byte_size);
  shm.register(region, json.key, offset, byteSize);
  return OK;
}

function uint(v: unknown): number {
  if (!isUint(v)) throw ServerError.internal(JSON_ACCESS.uint);
  return Number(v);
}
