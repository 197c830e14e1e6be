/**
 * The one error type of inferd. Codes are Triton's protocol-neutral status codes; each frontend maps
 * them once (HTTP status, gRPC code) in its own table.
 */

export const ERROR_CODES = [
  'INVALID_ARG', 'NOT_FOUND', 'UNAVAILABLE', 'UNSUPPORTED', 'ALREADY_EXISTS', 'INTERNAL', 'UNKNOWN', 'CANCELLED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class ServerError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ServerError';
    this.code = code;
  }

  static invalidArg(message: string): ServerError { return new ServerError('INVALID_ARG', message); }
  static notFound(message: string): ServerError { return new ServerError('NOT_FOUND', message); }
  static unavailable(message: string): ServerError { return new ServerError('UNAVAILABLE', message); }
  static unsupported(message: string): ServerError { return new ServerError('UNSUPPORTED', message); }
  static internal(message: string, cause?: unknown): ServerError {
    return new ServerError('INTERNAL', message, cause === undefined ? undefined : { cause });
  }
  static cancelled(message = 'Request was cancelled'): ServerError { return new ServerError('CANCELLED', message); }

  /** Anything thrown becomes a ServerError; foreign errors are INTERNAL with their message kept. */
  static from(err: unknown): ServerError {
    if (err instanceof ServerError) return err;
    if (err instanceof Error) return ServerError.internal(err.message, err);
    return ServerError.internal(String(err));
  }
}

/** Triton prefixes request-validation errors with the request id when one was given. */
export function withRequestId(id: string, message: string): string {
  return id === '' ? message : `[request id: ${id}] ${message}`;
}
