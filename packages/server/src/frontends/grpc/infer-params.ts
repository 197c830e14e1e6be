/**
 * gRPC's reader of request-level `parameters` of a ModelInferRequest (spec §4.1-§4.3; the semantics are
 * in common/request-parameters.ts): the InferParameter oneof, Triton's gRPC frontend texts (it checks
 * each key's oneof case), and the one `triton_*` key a client may send.
 */
import type { pb } from '@inferd/protocol';
import { ServerError, type ParameterValue } from '../../core/index.js';
import { readRequestParameters as readParameters, type ParameterReader, type RequestFields } from '../common/request-parameters.js';

/** The only `triton_*` request key a client may send (ModelStreamInfer's empty final response). */
export const EMPTY_FINAL_RESPONSE_KEY = 'triton_enable_empty_final_response';
const TRITON_KEYS = [EMPTY_FINAL_RESPONSE_KEY];

export interface GrpcRequestFields extends RequestFields {
  enableEmptyFinalResponse: boolean;
}

function wrongType(key: string, expected: string): ServerError {
  return ServerError.invalidArg(`invalid value type for '${key}' parameter, expected ${expected}.`);
}

function boolParam(key: string, p: pb.InferParameter): boolean {
  if (p.parameter_choice !== 'bool_param') throw wrongType(key, 'bool_param');
  return p.bool_param === true;
}

const PROTO_READER: ParameterReader<pb.InferParameter, GrpcRequestFields> = {
  correlationId(key, p) {
    if (p.parameter_choice === 'int64_param') return BigInt.asUintN(64, BigInt(p.int64_param!));
    if (p.parameter_choice === 'string_param') return p.string_param!;
    throw wrongType(key, 'int64_param or string_param');
  },
  bool: boolParam,
  priority(key, p) {
    if (p.parameter_choice === 'int64_param') {
      const v = Number(p.int64_param);
      if (v < 0) throw ServerError.invalidArg("invalid value for 'priority', expected value >= 0.");
      return v;
    }
    if (p.parameter_choice === 'uint64_param') return Number(p.uint64_param);
    throw wrongType(key, 'int64_param or uint64_param');
  },
  timeoutUs(key, p) {
    if (p.parameter_choice !== 'int64_param') throw wrongType(key, 'int64_param');
    return Math.max(0, Number(p.int64_param));
  },
  /** int64 values beyond 2^53 lose precision (JS numbers). */
  custom(key, p): ParameterValue {
    switch (p.parameter_choice) {
      case 'bool_param': return p.bool_param!;
      case 'int64_param': return Number(p.int64_param);
      case 'string_param': return p.string_param!;
      case 'double_param': return p.double_param!;
      default: throw wrongType(key, 'int64_param, bool_param, or string_param');
    }
  },
  protocolKey(key, p, out) {
    if (key !== EMPTY_FINAL_RESPONSE_KEY) return false;
    out.enableEmptyFinalResponse = boolParam(key, p);
    return true;
  },
  reservedPrefix: () =>
    ServerError.invalidArg(
      "parameter keys starting with 'triton_' are reserved for Triton usage. Only the following keys " +
        `starting with 'triton_' are allowed: ${TRITON_KEYS.join(' ')}`,
    ),
};

/** Shared by every request without parameters (most of them); never mutated. */
const NO_FIELDS: GrpcRequestFields = Object.freeze({ flags: 0, enableEmptyFinalResponse: false });

function isEmpty(params: object): boolean {
  for (const _ in params) return false;
  return true;
}

export function readRequestParameters(params: Readonly<Record<string, pb.InferParameter>>): Readonly<GrpcRequestFields> {
  if (isEmpty(params)) return NO_FIELDS;
  return readParameters(params, PROTO_READER, { flags: 0, enableEmptyFinalResponse: false });
}
