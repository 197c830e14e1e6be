/**
 * `--grpc-restricted-protocol` and `--grpc-header-forward-pattern` as wrappers around the handlers
 * given to grpc-js, so the RPC handlers themselves stay unaware of both. The RPC-to-group table
 * follows Triton's gRPC server (grpc.health.v1 Check counts as health).
 */
import type { Metadata, UntypedHandleCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { pb } from '@inferd/protocol';
import { ServerError } from '../../core/index.js';
import { forwardedHeaders, type RestrictedApis, type RestrictedGroup } from '../common/restricted-apis.js';
import { toGrpcError } from './status-map.js';

/** Metadata keys of restrictions carry this prefix (added by the flag parser, as Triton does). */
export const GRPC_RESTRICTED_KEY_PREFIX = 'triton-grpc-protocol-';

export const RPC_GROUPS: Readonly<Record<string, RestrictedGroup>> = {
  ServerLive: 'health',
  ServerReady: 'health',
  ModelReady: 'health',
  Check: 'health',
  ServerMetadata: 'metadata',
  ModelMetadata: 'metadata',
  ModelInfer: 'inference',
  ModelStreamInfer: 'inference',
  ModelConfig: 'model-config',
  ModelStatistics: 'statistics',
  RepositoryIndex: 'model-repository',
  RepositoryModelLoad: 'model-repository',
  RepositoryModelUnload: 'model-repository',
  SystemSharedMemoryStatus: 'shared-memory',
  SystemSharedMemoryRegister: 'shared-memory',
  SystemSharedMemoryUnregister: 'shared-memory',
  CudaSharedMemoryStatus: 'shared-memory',
  CudaSharedMemoryRegister: 'shared-memory',
  CudaSharedMemoryUnregister: 'shared-memory',
  TraceSetting: 'trace',
  LogSettings: 'logging',
};

interface AnyCall {
  readonly metadata: Metadata;
  readonly request?: unknown;
  on?(event: 'data', listener: (message: unknown) => void): unknown;
  emit?(event: 'error', err: unknown): boolean;
}
type Callback = (err: unknown, value?: unknown) => void;

function allowed(metadata: Metadata, key: string, value: string): boolean {
  // grpc-js stores metadata keys lower-cased.
  return metadata.get(key.toLowerCase()).some((v) => String(v) === value);
}

function refusal(key: string): ServerError {
  return ServerError.unavailable(`This protocol is restricted, expecting header '${key}'`);
}

/** Refuses calls without the group's metadata before the handler sees them (unary and streaming). */
function guard(handler: UntypedHandleCall, key: string, value: string): UntypedHandleCall {
  return ((call: AnyCall, callback?: Callback) => {
    if (allowed(call.metadata, key, value)) {
      (handler as (c: AnyCall, cb?: Callback) => void)(call, callback);
      return;
    }
    if (callback !== undefined) callback(toGrpcError(refusal(key)));
    else call.emit?.('error', toGrpcError(refusal(key)));
  }) as UntypedHandleCall;
}

/** Adds the matching metadata of the call to every ModelInferRequest as string parameters. */
function forward(handler: UntypedHandleCall, pattern: RegExp): UntypedHandleCall {
  return ((call: AnyCall, callback?: Callback) => {
    let params: Record<string, string> | undefined;
    try {
      const entries = Object.entries(call.metadata.getMap()).map(([k, v]) => [k, String(v)] as const);
      params = forwardedHeaders(pattern, entries, { dropPadded: true });
    } catch (err) {
      // A reserved parameter name: refused before the handler runs, like a restriction.
      if (callback !== undefined) callback(toGrpcError(err));
      else call.emit?.('error', toGrpcError(err));
      return;
    }
    if (params !== undefined) {
      const add = (req: unknown): void => {
        const target = (req as pb.ModelInferRequest).parameters as Record<string, pb.InferParameter>;
        for (const [k, v] of Object.entries(params)) {
          target[k] = { parameter_choice: 'string_param', string_param: v } as pb.InferParameter;
        }
      };
      // Unary: the request is already decoded. Stream: this listener runs before the handler's own.
      if (callback !== undefined) add(call.request);
      else call.on?.('data', add);
    }
    (handler as (c: AnyCall, cb?: Callback) => void)(call, callback);
  }) as UntypedHandleCall;
}

export interface RestrictOptions {
  readonly restrictedApis?: RestrictedApis | undefined;
  readonly headerForwardPattern?: RegExp | undefined;
}

/** The service implementation with restrictions and header forwarding applied; unchanged when neither is set. */
export function restrictHandlers(impl: UntypedServiceImplementation, options: RestrictOptions): UntypedServiceImplementation {
  const out: UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(impl)) {
    let h = handler;
    const pattern = options.headerForwardPattern;
    if (pattern !== undefined && (name === 'ModelInfer' || name === 'ModelStreamInfer')) h = forward(h, pattern);
    const group = RPC_GROUPS[name];
    const restriction = group === undefined ? undefined : options.restrictedApis?.get(group);
    if (restriction !== undefined) h = guard(h, restriction.key, restriction.value);
    out[name] = h;
  }
  return out;
}
