/**
 * Shared-memory extension (spec §1.8): system regions live in the server's SystemSharedMemory registry,
 * CUDA regions in its CudaSharedMemory registry (register/unregister refused unless --allow-client-shm).
 * Register body texts follow Triton's HTTP frontend. A CUDA register answers once the handle is open.
 */
import { JSON_ACCESS } from '@inferd/protocol';
import {
  CLIENT_SHM_DISABLED, CUDA_HANDLE_INVALID, CUDA_IPC_HANDLE_BYTES, ServerError, type CudaSharedMemory, type SystemSharedMemory,
} from '../../core/index.js';
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
): Reply | Promise<Reply> {
  const method = call.req.method;
  if (action === 'status' ? method !== 'GET' : method !== 'POST') return METHOD_NOT_ALLOWED;
  const shm = memory === 'system' ? ctx.server.sharedMemory : ctx.server.cudaSharedMemory;
  if (action === 'status') return jsonReply(JSON.stringify(shm.status(region)));
  if (action === 'unregister') {
    shm.unregister(region);
    return OK;
  }
  // Disabled client shm refuses every register, whatever the body says.
  if (!shm.enabled) throw ServerError.unsupported(CLIENT_SHM_DISABLED);
  if (region === '') throw ServerError.invalidArg(`'region name' is necessary to register ${memory} shared memory region`);
  if (memory === 'system') return registerSystem(ctx.server.sharedMemory, call, region);
  return registerCuda(ctx.server.cudaSharedMemory, call, region);
}

function registerCuda(shm: CudaSharedMemory, call: HttpCall, region: string): Promise<Reply> {
  const body = parseRequestJson(call.body);
  if (!has(body, 'raw_handle')) throw ServerError.invalidArg("Shared memory register request has no 'raw_handle' field");
  const json = body as JsonObject;
  const b64 = memberOf(json.raw_handle, 'b64');
  if (typeof b64 !== 'string') throw ServerError.internal(JSON_ACCESS.string);
  const byteSize = uint(memberOf(json, 'byte_size'));
  const deviceId = uint(memberOf(json, 'device_id'));
  const handle = decodeHandle(b64);
  return shm.register(region, handle, deviceId, byteSize).then(() => OK);
}

/** Triton's MemberAs* on an absent member. */
function memberOf(obj: unknown, key: string): unknown {
  if (!has(obj, key)) throw ServerError.internal(`attempt to access non-existing object member '${key}'`);
  return (obj as JsonObject)[key];
}

/**
 * Strict base64 of exactly one cudaIpcMemHandle_t. Triton's decoder skips bad characters, so bad base64
 * reaches it as a wrong length and gets the same text.
 */
function decodeHandle(b64: string): Buffer {
  const ok = /^[A-Za-z0-9+/]*={0,2}$/.test(b64) && b64.length % 4 === 0;
  const raw = ok ? Buffer.from(b64, 'base64') : undefined;
  if (raw === undefined || raw.byteLength !== CUDA_IPC_HANDLE_BYTES) throw ServerError.invalidArg(CUDA_HANDLE_INVALID);
  return raw;
}

function registerSystem(shm: SystemSharedMemory, call: HttpCall, region: string): Reply {
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
