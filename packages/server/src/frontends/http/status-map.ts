/**
 * The one mapping from core error codes to HTTP statuses (spec §0, Triton's HttpCodeFromError).
 * Codes without an HTTP counterpart are 400.
 */
import type { ErrorCode } from '../../core/index.js';

export const HTTP_STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  INVALID_ARG: 400,
  NOT_FOUND: 404,
  UNAVAILABLE: 503,
  UNSUPPORTED: 501,
  ALREADY_EXISTS: 400,
  INTERNAL: 500,
  UNKNOWN: 400,
  CANCELLED: 400,
};
