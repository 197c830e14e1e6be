/**
 * Requests and responses in stub frames: the header a request is sent with, a response as the stub
 * describes it (its tensors follow in the frame body, see wire-tensors.ts), and handing one to its
 * request. Error codes from the stub that are not ours become INTERNAL.
 */
import { ERROR_CODES, ServerError, type ErrorCode, type InferenceRequest } from '../../core/index.js';
import { describeTensor, readTensors, type WireTensor } from './wire-tensors.js';

/** A response as the stub describes it in a frame header. */
export interface WireResponse {
  readonly outputs: readonly WireTensor[];
  readonly error?: { readonly code: string; readonly message: string };
  readonly parameters?: Record<string, string | number | boolean>;
}

/** The header a request goes to the stub with (its input tensors follow in the body). */
export function requestHead(key: number, request: InferenceRequest): Record<string, unknown> {
  const corr = request.correlationId;
  return {
    key,
    id: request.id,
    // Triton reports 0 when the request has no correlation id; a numeric id stays an int in Python.
    correlation_id: typeof corr === 'bigint' ? corr.toString() : corr === '' ? 0 : corr,
    corr_int: typeof corr === 'bigint',
    flags: request.flags,
    timeout: request.timeoutUs,
    parameters: JSON.stringify(request.parameters),
    outputs: request.requestedOutputs.map((o) => o.name),
    inputs: request.inputs.map(describeTensor),
    ...(request.isCancelled ? { cancelled: true } : {}),
  };
}

export function toServerError(e: { readonly code: string; readonly message: string }): ServerError {
  const code = (ERROR_CODES as readonly string[]).includes(e.code) ? (e.code as ErrorCode) : 'INTERNAL';
  return new ServerError(code, e.message);
}

/** Sends one response to `request`; returns the body offset after its tensors. */
export function deliverResponse(
  request: InferenceRequest, response: WireResponse, body: Buffer, offset: number, final: boolean, modelName: string,
): number {
  if (response.error !== undefined) {
    request.respondError(toServerError(response.error));
    return offset;
  }
  let read;
  try {
    read = readTensors(response.outputs, body, offset, modelName);
  } catch (err) {
    request.respondError(err);
    return offset + response.outputs.reduce((n, d) => n + d.size, 0);
  }
  request.stamp('computeOutputStart');
  // As Triton's Python backend: outputs the client did not ask for are dropped.
  const wanted = request.requestedOutputs;
  const outputs = read.tensors.filter((t) => wanted.some((w) => w.name === t.name));
  request.respond(response.parameters === undefined ? { outputs } : { outputs, parameters: response.parameters }, final);
  return read.offset;
}
