/**
 * One AbortSignal per HTTP call from the caller's signal and `timeoutMs`, and the error that tells
 * the two apart (written without AbortSignal.any so older browsers work too).
 */
import { InferenceServerError, GRPC_CODE } from '../errors.js';
import type { CallOptions } from '../types.js';

export interface CallSignal {
  readonly signal: AbortSignal | undefined;
  /** The error to throw once the signal fired (undefined if it did not). */
  error(cause: unknown): InferenceServerError | undefined;
  dispose(): void;
}

export function callSignal(options: CallOptions): CallSignal {
  const { signal, timeoutMs } = options;
  if (signal === undefined && timeoutMs === undefined) return { signal: undefined, error: () => undefined, dispose() {} };
  const controller = new AbortController();
  let timedOut = false;
  const onAbort = () => controller.abort(signal?.reason);
  if (signal?.aborted) controller.abort(signal.reason);
  else signal?.addEventListener('abort', onAbort, { once: true });
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  return {
    signal: controller.signal,
    error(cause) {
      if (!controller.signal.aborted) return undefined;
      return timedOut
        ? new InferenceServerError(`Deadline Exceeded: no answer within ${timeoutMs} ms`, { code: GRPC_CODE.DEADLINE_EXCEEDED, cause })
        : new InferenceServerError('Request was aborted by the caller', { code: GRPC_CODE.CANCELLED, cause });
    },
    dispose() {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}
