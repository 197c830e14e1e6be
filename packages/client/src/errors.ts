/**
 * The one error type of the client: what the server answered (HTTP status or gRPC code plus the
 * server's message, verbatim) or why no answer came (aborted, timed out, bad client-side data).
 */

/** gRPC status codes: the ones the client sets itself (no server answer) and the ones it checks. */
export const GRPC_CODE = {
  CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14,
} as const;

export interface InferenceServerErrorInit {
  /** HTTP status of the server's answer (HTTP client only). */
  readonly status?: number;
  /** gRPC status code (gRPC client; the HTTP client also sets CANCELLED / DEADLINE_EXCEEDED for aborts and timeouts). */
  readonly code?: number;
  readonly cause?: unknown;
}

export class InferenceServerError extends Error {
  readonly status: number | undefined;
  readonly code: number | undefined;

  constructor(message: string, init: InferenceServerErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'InferenceServerError';
    this.status = init.status;
    this.code = init.code;
  }

  /** True when the request was cancelled by the caller's AbortSignal. */
  get aborted(): boolean {
    return this.code === GRPC_CODE.CANCELLED && this.status === undefined;
  }

  /** True when the client-side `timeoutMs` expired (gRPC: the deadline). */
  get timedOut(): boolean {
    return this.code === GRPC_CODE.DEADLINE_EXCEEDED && this.status === undefined;
  }
}
