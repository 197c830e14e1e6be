/**
 * HTTP's reader of request-level `parameters` (spec §4.1; the semantics are in
 * common/request-parameters.ts): JSON values, Triton's HTTP frontend texts, and the HTTP-only keys
 * `binary_data_output` and `headers`.
 */
import { ServerError, type ParameterValue } from '../../core/index.js';
import { readRequestParameters as readParameters, type ParameterReader, type RequestFields } from '../common/request-parameters.js';
import { accessError, asBool, asString, asUint, asUint64, isObject, isUint } from './json-access.js';

export interface RequestParameterFields extends RequestFields {
  /** `binary_data_output`: the kind of outputs the request does not list. */
  binaryDataOutput: boolean;
}

const TRITON_RESERVED =
  "parameter keys starting with 'triton_' are reserved for Triton usage and should not be specified.";

function invalidType(key: string): ServerError {
  return ServerError.invalidArg(`parameter '${key}' has invalid type. It should be either 'int', 'bool', or 'string'.`);
}

const context = (key: string): string => `Unable to parse '${key}'`;

const JSON_READER: ParameterReader<unknown, RequestParameterFields> = {
  // Triton tries an unsigned integer first, then a string.
  correlationId: (key, v) => (isUint(v) ? asUint64(v, context(key)) : asString(v, context(key))),
  bool: (key, v) => asBool(v, context(key)),
  priority: (key, v) => asUint(v, context(key)),
  timeoutUs: (key, v) => asUint(v, context(key)),
  custom(key, v): ParameterValue {
    if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return v;
    // An integer beyond 2^53 (kept exact by the parser): parameters carry numbers, as Triton's double does
    // for values past int64; within int64 it would be exact in Triton, here it is the nearest double.
    if (typeof v === 'bigint') return Number(v);
    throw invalidType(key);
  },
  protocolKey(key, v, out, put) {
    if (key === 'binary_data_output') {
      out.binaryDataOutput = asBool(v, context(key));
      return true;
    }
    if (key === 'headers') {
      // Forwarded HTTP headers travel as string parameters (like --http-header-forward-pattern).
      if (!isObject(v)) throw invalidType(key);
      for (const [name, value] of Object.entries(v)) {
        if (typeof value !== 'string') throw invalidType(name);
        put(name, value);
      }
      return true;
    }
    return false;
  },
  reservedPrefix: () => ServerError.invalidArg(TRITON_RESERVED),
};

/** Reads `parameters` (already known to be present); keys are handled in document order, as Triton does. */
export function readRequestParameters(json: unknown): RequestParameterFields {
  if (!isObject(json)) throw accessError('failed to get request params.', 'attempt to get members for non-object');
  return readParameters(json, JSON_READER, { flags: 0, binaryDataOutput: false });
}
