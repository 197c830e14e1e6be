/**
 * Shared-memory extension with client shared memory disabled (spec §1.8): status works and lists
 * nothing; system register/unregister are refused; CUDA behaves like a CPU-only Triton build.
 */
import { ServerError } from '../../core/index.js';
import type { HandlerContext, HttpCall } from './context.js';
import { JSON_TYPE, jsonReply, METHOD_NOT_ALLOWED, type Reply } from './reply.js';
import type { ShmAction } from './routes.js';

const DISABLED =
  "Client shared memory is disabled. Start the server with '--allow-client-shm=true' to enable.";

export function handleShm(
  _ctx: HandlerContext,
  call: HttpCall,
  memory: 'system' | 'cuda',
  region: string,
  action: ShmAction,
): Reply {
  const method = call.req.method;
  if (action === 'status' ? method !== 'GET' : method !== 'POST') return METHOD_NOT_ALLOWED;
  if (action === 'status') {
    if (region !== '') throw ServerError.notFound(`Unable to find ${memory} shared memory region: '${region}'`);
    return jsonReply('[]');
  }
  if (memory === 'system') throw ServerError.unsupported(DISABLED);
  if (action === 'register') {
    if (region === '') throw ServerError.invalidArg("'region name' is necessary to register cuda shared memory region");
    throw ServerError.invalidArg(`failed to register CUDA shared memory region: '${region}', GPUs not supported`);
  }
  return { status: 200, contentType: JSON_TYPE };
}
