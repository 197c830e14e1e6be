/**
 * ModelInfer (unary): decode, run through InferenceServer.inferOnce, encode. Cancelling the call
 * aborts the request's queued work through a CallSignal. Decoupled models are refused by core with
 * Triton's UNIMPLEMENTED text.
 */
import type { pb } from '@inferd/protocol';
import type { handleUnaryCall } from '@grpc/grpc-js';
import type { CancelSignal, InferenceServer } from '../../core/index.js';
import type { TracedRequestInit } from '../../core/observability-hooks.js';
import { modelErrorFirst, releaseShmAfterFinal, traceOrigin } from '../common/infer-lifecycle.js';
import { CallSignal } from './call-signal.js';
import { decodeInferRequest, type DecodedInfer } from './infer-decode.js';
import { encodeInferResponse } from './infer-encode.js';
import { toGrpcError } from './status-map.js';

/** Decodes a request; a decoding error loses to the model's own error when the model is unknown. */
export function decodeAfterModelCheck(
  server: InferenceServer, req: pb.ModelInferRequest, signal?: CancelSignal,
): DecodedInfer {
  try {
    return decodeInferRequest(req, server.sharedMemory, signal);
  } catch (err) {
    throw modelErrorFirst(server, req.model_name, req.model_version, err);
  }
}

/** What a trace needs from gRPC: the W3C `traceparent` metadata, when the caller sent one. */
export function withTraceOrigin(init: DecodedInfer['init'], traceparent: unknown): TracedRequestInit {
  return { ...init, traceOrigin: traceOrigin('GRPC', traceparent) };
}

export function modelInferHandler(server: InferenceServer): handleUnaryCall<pb.ModelInferRequest, pb.ModelInferResponseInit> {
  return (call, callback) => {
    let decoded: DecodedInfer;
    try {
      decoded = decodeAfterModelCheck(server, call.request, new CallSignal(call));
    } catch (err) {
      callback(toGrpcError(err));
      return;
    }
    const shm = decoded.shm;
    try {
      // inferOnce instead of the infer() promise: no promise pair and microtask hops per request.
      const init = server.tracer?.enabled !== true ? decoded.init : withTraceOrigin(decoded.init, call.metadata.get('traceparent')[0]);
      server.inferOnce(init, releaseShmAfterFinal(shm, (response) => {
        if (!response.final) return;
        if (response.error !== undefined) {
          callback(toGrpcError(response.error));
          return;
        }
        if (shm === undefined) {
          callback(null, encodeInferResponse(response));
          return;
        }
        let encoded;
        try {
          shm.writeOutputs(response);
          encoded = encodeInferResponse(response, undefined, shm);
        } catch (err) {
          callback(toGrpcError(err));
          return;
        }
        callback(null, encoded);
      }));
    } catch (err) {
      shm?.release();
      callback(toGrpcError(err));
    }
  };
}
