/**
 * Request-level `parameters` of an infer request (spec §4.1), for every frontend: the reserved keys
 * (sequence_id, sequence_start, sequence_end, priority, timeout) become request fields, `triton_*` keys
 * are refused unless the protocol allows them, other values reach the model. The semantics live here
 * once; each protocol brings a reader for its value representation (JSON values for HTTP, the
 * InferParameter oneof for gRPC) that also words its errors as Triton's frontend for that protocol does.
 */
import {
  REQUEST_FLAG_SEQUENCE_END, REQUEST_FLAG_SEQUENCE_START, type ParameterValue, type ServerError,
} from '../../core/index.js';

/** The request fields the reserved keys set, plus the model's own parameters. */
export interface RequestFields {
  parameters?: Record<string, ParameterValue>;
  correlationId?: bigint | string;
  flags: number;
  priority?: number;
  timeoutUs?: number;
}

/** How one protocol reads a parameter value `V`; each method throws that protocol's Triton text. */
export interface ParameterReader<V, F extends RequestFields> {
  correlationId(key: string, v: V): bigint | string;
  bool(key: string, v: V): boolean;
  priority(key: string, v: V): number;
  timeoutUs(key: string, v: V): number;
  /** A value the model sees as it is. */
  custom(key: string, v: V): ParameterValue;
  /**
   * Keys only this protocol knows (HTTP `binary_data_output` and `headers`, gRPC's empty-final-response
   * opt-in); true when `key` was one of them. `put` adds a model parameter.
   */
  protocolKey(key: string, v: V, out: F, put: (key: string, value: ParameterValue) => void): boolean;
  /** The refusal of a `triton_*` key this protocol does not allow. */
  reservedPrefix(key: string): ServerError;
}

export const RESERVED_PREFIX = 'triton_';

/** Reads every key in the order the client sent them (Triton's order, which decides which error wins). */
export function readRequestParameters<V, F extends RequestFields>(
  params: Readonly<Record<string, V>>, reader: ParameterReader<V, F>, out: F,
): F {
  const put = (key: string, value: ParameterValue): void => {
    (out.parameters ??= {})[key] = value;
  };
  for (const key of Object.keys(params)) {
    const v = params[key]!;
    switch (key) {
      case 'sequence_id':
        out.correlationId = reader.correlationId(key, v);
        break;
      case 'sequence_start':
        if (reader.bool(key, v)) out.flags |= REQUEST_FLAG_SEQUENCE_START;
        break;
      case 'sequence_end':
        if (reader.bool(key, v)) out.flags |= REQUEST_FLAG_SEQUENCE_END;
        break;
      case 'priority':
        out.priority = reader.priority(key, v);
        break;
      case 'timeout':
        out.timeoutUs = reader.timeoutUs(key, v);
        break;
      default:
        if (reader.protocolKey(key, v, out, put)) break;
        if (key.startsWith(RESERVED_PREFIX)) throw reader.reservedPrefix(key);
        put(key, reader.custom(key, v));
    }
  }
  return out;
}
