/**
 * The one error type of inferd. Codes are Triton's protocol-neutral status codes; each frontend maps
 * them once (HTTP status, gRPC code) in its own table.
 */

import { ERROR_CODES, type ErrorCode } from './error-codes.js';
import { ERROR_REASONS, type ErrorReason, type ReasonArgs } from './error-reasons.js';

export { ERROR_CODES, type ErrorCode };
export { ERROR_REASONS, type ErrorReason };

/**
 * Marks every ServerError, whichever copy of this package made it: a plug-in backend that bundles or
 * installs its own `inferd` still throws errors the server recognises (`instanceof` checks the mark).
 */
const BRAND = Symbol.for('inferd.ServerError');

export class ServerError extends Error {
  readonly code: ErrorCode;
  /** Set for the errors code tells apart (core/error-reasons.ts). */
  readonly reason: ErrorReason | undefined;
  declare readonly [BRAND]: true;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; reason?: ErrorReason }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ServerError';
    this.code = code;
    this.reason = options?.reason;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** `instanceof ServerError` holds for an error of any copy of the class (subclasses check as usual). */
  static [Symbol.hasInstance](value: unknown): boolean {
    if (this !== ServerError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
  }

  /** The error of a registered reason, with the reason's code and message. */
  static of<R extends ErrorReason>(reason: R, ...args: ReasonArgs<R>): ServerError {
    const def = ERROR_REASONS[reason];
    const message = (def.message as (...a: ReasonArgs<R>) => string)(...args);
    return new ServerError(def.code, message, { reason });
  }

  /** Whether `err` is a ServerError of `reason`. */
  static isReason(err: unknown, reason: ErrorReason): boolean {
    return err instanceof ServerError && err.reason === reason;
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
