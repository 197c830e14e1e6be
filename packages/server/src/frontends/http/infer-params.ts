/**
 * Request-level `parameters` of an infer request (spec §4.1): reserved keys become request fields,
 * `triton_*` keys are refused, other scalars pass to the model. Texts follow Triton's HTTP frontend.
 */
import {
  REQUEST_FLAG_SEQUENCE_END, REQUEST_FLAG_SEQUENCE_START, ServerError, type ParameterValue,
} from '../../core/index.js';
import { accessError, asBool, asString, asUint, asUint64, isObject, isUint } from './json-access.js';

export interface RequestParameterFields {
  parameters?: Record<string, ParameterValue>;
  correlationId?: bigint | string;
  flags?: number;
  priority?: number;
  timeoutUs?: number;
  /** `binary_data_output`: the kind of outputs the request does not list. */
  binaryDataOutput: boolean;
}

const TRITON_RESERVED =
  "parameter keys starting with 'triton_' are reserved for Triton usage and should not be specified.";

function invalidType(key: string): ServerError {
  return ServerError.invalidArg(`parameter '${key}' has invalid type. It should be either 'int', 'bool', or 'string'.`);
}

function scalar(key: string, v: unknown): ParameterValue {
  if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return v;
  // An integer beyond 2^53 (kept exact by the parser): parameters carry numbers, as Triton's double does
  // for values past int64; within int64 it would be exact in Triton, here it is the nearest double.
  if (typeof v === 'bigint') return Number(v);
  throw invalidType(key);
}

/** Reads `parameters` (already known to be present); keys are handled in document order, as Triton does. */
export function readRequestParameters(json: unknown): RequestParameterFields {
  const out: RequestParameterFields = { binaryDataOutput: false };
  if (!isObject(json)) throw accessError('failed to get request params.', 'attempt to get members for non-object');
  let flags = 0;
  let params: Record<string, ParameterValue> | undefined;
  const put = (key: string, value: ParameterValue): void => {
    params ??= {};
    params[key] = value;
  };
  for (const key of Object.keys(json)) {
    const v = json[key];
    const context = `Unable to parse '${key}'`;
    switch (key) {
      case 'sequence_id':
        // Triton tries an unsigned integer first, then a string.
        out.correlationId = isUint(v) ? asUint64(v, context) : asString(v, context);
        break;
      case 'sequence_start':
        if (asBool(v, context)) flags |= REQUEST_FLAG_SEQUENCE_START;
        break;
      case 'sequence_end':
        if (asBool(v, context)) flags |= REQUEST_FLAG_SEQUENCE_END;
        break;
      case 'priority':
        out.priority = asUint(v, context);
        break;
      case 'timeout':
        out.timeoutUs = asUint(v, context);
        break;
      case 'binary_data_output':
        out.binaryDataOutput = asBool(v, context);
        break;
      case 'headers':
        // Forwarded HTTP headers travel as string parameters (like --http-header-forward-pattern).
        if (!isObject(v)) throw invalidType(key);
        for (const [name, value] of Object.entries(v)) {
          if (typeof value !== 'string') throw invalidType(name);
          put(name, value);
        }
        break;
      default:
        if (key.startsWith('triton_')) throw ServerError.invalidArg(TRITON_RESERVED);
        put(key, scalar(key, v));
    }
  }
  out.flags = flags;
  if (params !== undefined) out.parameters = params;
  return out;
}
