/**
 * Request-level `parameters` of a ModelInferRequest (spec §4.1-§4.3): reserved keys become request
 * fields, `triton_*` keys other than the streaming opt-in are refused, other values reach the model.
 * Texts follow Triton's gRPC frontend, which checks each key's oneof case.
 */
import type { pb } from '@inferd/protocol';
import {
  REQUEST_FLAG_SEQUENCE_END, REQUEST_FLAG_SEQUENCE_START, ServerError, type ParameterValue,
} from '../../core/index.js';

/** The only `triton_*` request key a client may send (ModelStreamInfer's empty final response). */
export const EMPTY_FINAL_RESPONSE_KEY = 'triton_enable_empty_final_response';
const TRITON_KEYS = [EMPTY_FINAL_RESPONSE_KEY];

export interface GrpcRequestFields {
  parameters?: Record<string, ParameterValue>;
  correlationId?: bigint | string;
  flags: number;
  priority?: number;
  timeoutUs?: number;
  enableEmptyFinalResponse: boolean;
}

function wrongType(key: string, expected: string): ServerError {
  return ServerError.invalidArg(`invalid value type for '${key}' parameter, expected ${expected}.`);
}

function boolParam(key: string, p: pb.InferParameter): boolean {
  if (p.parameter_choice !== 'bool_param') throw wrongType(key, 'bool_param');
  return p.bool_param === true;
}

/** A custom parameter as the model sees it; int64 values beyond 2^53 lose precision (JS numbers). */
function customValue(key: string, p: pb.InferParameter): ParameterValue {
  switch (p.parameter_choice) {
    case 'bool_param': return p.bool_param!;
    case 'int64_param': return Number(p.int64_param);
    case 'string_param': return p.string_param!;
    case 'double_param': return p.double_param!;
    default: throw wrongType(key, 'int64_param, bool_param, or string_param');
  }
}

/** Shared by every request without parameters (most of them); never mutated. */
const NO_FIELDS: GrpcRequestFields = Object.freeze({ flags: 0, enableEmptyFinalResponse: false });

function isEmpty(params: object): boolean {
  for (const _ in params) return false;
  return true;
}

export function readRequestParameters(params: Readonly<Record<string, pb.InferParameter>>): Readonly<GrpcRequestFields> {
  if (isEmpty(params)) return NO_FIELDS;
  const out: GrpcRequestFields = { flags: 0, enableEmptyFinalResponse: false };
  for (const key of Object.keys(params)) {
    const p = params[key]!;
    switch (key) {
      case 'sequence_id':
        if (p.parameter_choice === 'int64_param') out.correlationId = BigInt.asUintN(64, BigInt(p.int64_param!));
        else if (p.parameter_choice === 'string_param') out.correlationId = p.string_param!;
        else throw wrongType(key, 'int64_param or string_param');
        break;
      case 'sequence_start':
        if (boolParam(key, p)) out.flags |= REQUEST_FLAG_SEQUENCE_START;
        break;
      case 'sequence_end':
        if (boolParam(key, p)) out.flags |= REQUEST_FLAG_SEQUENCE_END;
        break;
      case 'priority':
        if (p.parameter_choice === 'int64_param') {
          const v = Number(p.int64_param);
          if (v < 0) throw ServerError.invalidArg("invalid value for 'priority', expected value >= 0.");
          out.priority = v;
        } else if (p.parameter_choice === 'uint64_param') {
          out.priority = Number(p.uint64_param);
        } else {
          throw wrongType(key, 'int64_param or uint64_param');
        }
        break;
      case 'timeout':
        if (p.parameter_choice !== 'int64_param') throw wrongType(key, 'int64_param');
        out.timeoutUs = Math.max(0, Number(p.int64_param));
        break;
      default:
        if (key.startsWith('triton_')) {
          if (!TRITON_KEYS.includes(key)) {
            throw ServerError.invalidArg(
              "parameter keys starting with 'triton_' are reserved for Triton usage. Only the following keys " +
                `starting with 'triton_' are allowed: ${TRITON_KEYS.join(' ')}`,
            );
          }
          out.enableEmptyFinalResponse = boolParam(key, p);
          break;
        }
        out.parameters ??= {};
        out.parameters[key] = customValue(key, p);
    }
  }
  return out;
}
