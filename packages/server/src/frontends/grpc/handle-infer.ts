/**
 * ModelInfer (unary): decode, run through InferenceServer.infer, encode. Cancelling the call aborts
 * the request's queued work through its AbortSignal. Decoupled models are refused by core with
 * Triton's UNIMPLEMENTED text.
 */
import type { pb } from '@inferd/protocol';
import type { handleUnaryCall } from '@grpc/grpc-js';
import type { InferenceServer } from '../../core/index.js';
import { decodeInferRequest, type DecodedInfer } from './infer-decode.js';
import { encodeInferResponse } from './infer-encode.js';
import { toGrpcError } from './status-map.js';

/** Triton resolves the model before it reads the tensors: an unknown model wins over a bad request. */
export function decodeAfterModelCheck(server: InferenceServer, req: pb.ModelInferRequest): DecodedInfer {
  try {
    return decodeInferRequest(req, server.sharedMemory);
  } catch (err) {
    server.modelMetadata(req.model_name, req.model_version);
    throw err;
  }
}

export function modelInferHandler(server: InferenceServer): handleUnaryCall<pb.ModelInferRequest, pb.ModelInferResponseInit> {
  return (call, callback) => {
    let decoded: DecodedInfer;
    try {
      decoded = decodeAfterModelCheck(server, call.request);
    } catch (err) {
      callback(toGrpcError(err));
      return;
    }
    const controller = new AbortController();
    call.once('cancelled', () => controller.abort());
    const shm = decoded.shm;
    server.infer({ ...decoded.init, signal: controller.signal }).then(
      (response) => {
        if (shm === undefined) {
          callback(null, encodeInferResponse(response));
          return;
        }
        try {
          shm.writeOutputs(response);
          callback(null, encodeInferResponse(response, undefined, shm));
        } catch (err) {
          callback(toGrpcError(err));
        } finally {
          shm.release();
        }
      },
      (err: unknown) => {
        shm?.release();
        callback(toGrpcError(err));
      },
    );
  };
}
