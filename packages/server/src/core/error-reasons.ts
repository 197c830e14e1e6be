/**
 * Errors that code (not only people) tells apart: each has a stable reason name, its code and its
 * message template (Triton's wording, where Triton has one). Code decides on `err.reason`, never on
 * message text, so rewording a message cannot change behaviour.
 */
import type { ErrorCode } from './error-codes.js';

interface ReasonDef<A extends unknown[]> {
  readonly code: ErrorCode;
  readonly message: (...args: A) => string;
}

const reason = <A extends unknown[]>(code: ErrorCode, message: (...args: A) => string): ReasonDef<A> => ({ code, message });

export const ERROR_REASONS = {
  MODEL_UNKNOWN: reason('NOT_FOUND', (model: string) => `Request for unknown model: '${model}' is not found`),
  MODEL_NO_VERSIONS: reason('NOT_FOUND', (model: string) => `Request for unknown model: '${model}' has no available versions`),
  MODEL_VERSION_UNKNOWN: reason('NOT_FOUND', (model: string, version: string) =>
    `Request for unknown model: '${model}' version ${version} is not found`),
  MODEL_VERSION_NOT_READY: reason('UNAVAILABLE', (model: string, version: string) =>
    `Request for unknown model: '${model}' version ${version} is not at ready state`),
  MODEL_UNLOADING: reason('UNAVAILABLE', () => 'model is being unloaded'),
  SERVER_STOPPING: reason('UNAVAILABLE', () => 'Server is stopping; no new requests are accepted'),
  SERVER_STARTING: reason('UNAVAILABLE', () => 'models of this server cannot be called before the server has finished starting'),
  /** A decoupled model called through an API that answers once (core's wording is gRPC ModelInfer's). */
  DECOUPLED_SINGLE_RESPONSE: reason('UNSUPPORTED', () => "ModelInfer RPC doesn't support models with decoupled transaction policy"),
  UNSUPPORTED_ENCODING: reason('UNSUPPORTED', () => 'Unsupported compression type'),
} as const;

export type ErrorReason = keyof typeof ERROR_REASONS;
export type ReasonArgs<R extends ErrorReason> = Parameters<(typeof ERROR_REASONS)[R]['message']>;
