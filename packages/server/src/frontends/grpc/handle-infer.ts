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
    return decodeInferRequest(req, server.shmRegistries, signal);
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
    afterInputs(decoded.shm, () => submitUnary(server, call, decoded, callback), (err) => callback(toGrpcError(err)));
  };
}

function submitUnary(
  server: InferenceServer, call: Parameters<handleUnaryCall<pb.ModelInferRequest, pb.ModelInferResponseInit>>[0],
  decoded: DecodedInfer, callback: Parameters<handleUnaryCall<pb.ModelInferRequest, pb.ModelInferResponseInit>>[1],
): void {
  const shm = decoded.shm;
  {
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
        let writing;
        try {
          writing = shm.writeOutputs(response);
        } catch (err) {
          callback(toGrpcError(err));
          return;
        }
        // CUDA outputs: the reply waits until they are in device memory.
        if (writing === undefined) callback(null, encodeInferResponse(response, undefined, shm));
        else writing.then(() => callback(null, encodeInferResponse(response, undefined, shm)), (err: unknown) => callback(toGrpcError(err)));
      }));
    } catch (err) {
      shm?.release();
      callback(toGrpcError(err));
    }
  }
}

/** Runs `submit` once the request's CUDA inputs are fetched (at once when it has none); a failed fetch is `fail`ed. */
export function afterInputs(shm: DecodedInfer['shm'], submit: () => void, fail: (err: unknown) => void): void {
  const fetching = shm?.fetchInputs();
  if (fetching === undefined) {
    submit();
    return;
  }
  fetching.then(submit, (err: unknown) => {
    shm!.release();
    fail(err);
  });
}
