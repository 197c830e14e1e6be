/** Adapts a plain (sync or async) handler to grpc-js's unary callback, mapping errors to statuses. */
import type { handleUnaryCall, ServerUnaryCall } from '@grpc/grpc-js';
import { toGrpcError } from './status-map.js';

export type UnaryHandler<Req, Res> = (request: Req, call: ServerUnaryCall<Req, Res>) => Res | Promise<Res>;

export function unary<Req, Res>(fn: UnaryHandler<Req, Res>): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    let result: Res | Promise<Res>;
    try {
      result = fn(call.request, call);
    } catch (err) {
      callback(toGrpcError(err));
      return;
    }
    if (result instanceof Promise) result.then((r) => callback(null, r), (err: unknown) => callback(toGrpcError(err)));
    else callback(null, result);
  };
}
