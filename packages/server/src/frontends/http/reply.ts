/**
 * A handler's answer, written by the frontend in one `res.end`. Error bodies are always
 * `{"error":"<message>"}` with the status of HTTP_STATUS_BY_CODE.
 */
import { ServerError } from '../../core/index.js';
import { HTTP_STATUS_BY_CODE } from './status-map.js';

export const JSON_TYPE = 'application/json';

export interface Reply {
  readonly status: number;
  /** Omitted = empty body. A list is written part after part (large tensors are not joined into one copy). */
  readonly body?: string | Uint8Array | readonly Uint8Array[];
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string | number>>;
}

export function jsonReply(body: string, status = 200): Reply {
  return { status, body, contentType: JSON_TYPE };
}

export function errorMessageReply(status: number, message: string, headers?: Record<string, string>): Reply {
  return { status, body: JSON.stringify({ error: message }), contentType: JSON_TYPE, ...(headers ? { headers } : {}) };
}

export const METHOD_NOT_ALLOWED: Reply = errorMessageReply(405, 'Method Not Allowed');
export const NOT_FOUND: Reply = errorMessageReply(404, 'Not Found');

/** Any thrown value as an error reply; non-ServerErrors are INTERNAL with their message kept. */
export function errorReply(err: unknown, headers?: Record<string, string>): Reply {
  const e = ServerError.from(err);
  return errorMessageReply(HTTP_STATUS_BY_CODE[e.code] ?? 400, e.message, headers);
}
