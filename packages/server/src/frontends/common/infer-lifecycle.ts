/**
 * The steps every frontend's infer path shares around decoding and answering one request: shm leases
 * taken while decoding are given back if decoding fails; an unknown model wins over a bad request (Triton
 * resolves the model before it reads tensors); a request's leases are given back once its final response
 * has been delivered; a traced request carries where it came from.
 */
import type { InferenceResponse, InferenceServer } from '../../core/index.js';
import type { TraceOrigin } from '../../core/observability-hooks.js';
import type { ShmContext, ShmRegistries, ShmTensors } from './shm-tensors.js';

/** Runs a protocol's decoder with a fresh shm context; leases taken before a failure are released. */
export function decodeWithShm<T>(memory: ShmRegistries | undefined, decode: (shm: ShmContext) => T): T {
  const shm: ShmContext = { memory, tensors: undefined };
  try {
    return decode(shm);
  } catch (err) {
    shm.tensors?.release();
    throw err;
  }
}

/**
 * The error to report for a request that failed before it reached the model: the model's own lookup
 * error when the model is unknown or not ready, else `err`.
 */
export function modelErrorFirst(server: InferenceServer, model: string, version: string, err: unknown): unknown {
  try {
    server.modelMetadata(model, version);
  } catch (modelErr) {
    return modelErr;
  }
  return err;
}

/** `onResponse`, then the request's shm leases released after its final response (even when it throws). */
export function releaseShmAfterFinal(
  shm: ShmTensors | undefined, onResponse: (r: InferenceResponse) => void,
): (r: InferenceResponse) => void {
  if (shm === undefined) return onResponse;
  return (r) => {
    try {
      onResponse(r);
    } finally {
      if (r.final) shm.release();
    }
  };
}

/** Where a traced request came from; `recv` is the HTTP body's read window (gRPC has none). */
export function traceOrigin(
  protocol: TraceOrigin['protocol'], traceparent: unknown, recv?: { startNs: number | undefined; endNs: number | undefined },
): TraceOrigin {
  return {
    protocol,
    ...(recv?.startNs === undefined ? {} : { recvStartNs: recv.startNs, recvEndNs: recv.endNs }),
    ...(typeof traceparent === 'string' ? { traceparent } : {}),
  };
}
