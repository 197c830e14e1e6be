/** Triton's protocol-neutral status codes; each frontend maps them once (HTTP status, gRPC code). */
export const ERROR_CODES = [
  'INVALID_ARG', 'NOT_FOUND', 'UNAVAILABLE', 'UNSUPPORTED', 'ALREADY_EXISTS', 'INTERNAL', 'UNKNOWN', 'CANCELLED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];
