/**
 * The one mapping from core error codes to gRPC status codes (spec §0, Triton's grpc error
 * conversion), and the conversion of anything thrown into a grpc-js error object.
 */
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { ServerError, type ErrorCode } from '../../core/index.js';

export const GRPC_STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  INVALID_ARG: GrpcStatus.INVALID_ARGUMENT,
  NOT_FOUND: GrpcStatus.NOT_FOUND,
  UNAVAILABLE: GrpcStatus.UNAVAILABLE,
  UNSUPPORTED: GrpcStatus.UNIMPLEMENTED,
  ALREADY_EXISTS: GrpcStatus.ALREADY_EXISTS,
  INTERNAL: GrpcStatus.INTERNAL,
  UNKNOWN: GrpcStatus.UNKNOWN,
  CANCELLED: GrpcStatus.CANCELLED,
};

/** What grpc-js sends as the call's status: code plus Triton's message as details. */
export type GrpcError = Pick<ServiceError, 'code' | 'details'> & { message: string; name: string };

export function toGrpcError(err: unknown): GrpcError {
  const e = ServerError.from(err);
  return { code: GRPC_STATUS_BY_CODE[e.code], details: e.message, message: e.message, name: 'ServerError' };
}
