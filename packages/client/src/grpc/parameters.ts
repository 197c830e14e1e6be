/** JavaScript values <-> the InferParameter oneof (spec §5.2). 64-bit values travel as decimal strings. */
import type { pb } from '@inferd/protocol';
import type { ParameterValue } from '../types.js';

export function toInferParameter(value: ParameterValue): pb.InferParameterInit {
  switch (typeof value) {
    case 'boolean':
      return { bool_param: value };
    case 'string':
      return { string_param: value };
    case 'bigint':
      return { int64_param: value.toString() };
    default:
      return Number.isInteger(value) ? { int64_param: value } : { double_param: value };
  }
}

function integer(text: string): number | bigint {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : BigInt(text);
}

/** The set member of an InferParameter; 64-bit integers as numbers when exact, else bigints. */
export function fromInferParameter(p: pb.InferParameter): ParameterValue | undefined {
  switch (p.parameter_choice) {
    case 'bool_param':
      return p.bool_param;
    case 'string_param':
      return p.string_param;
    case 'double_param':
      return p.double_param;
    case 'int64_param':
      return integer(p.int64_param!);
    case 'uint64_param':
      return integer(p.uint64_param!);
    default:
      return undefined;
  }
}

export function fromInferParameters(map: Readonly<Record<string, pb.InferParameter>> | undefined): Record<string, ParameterValue> {
  const out: Record<string, ParameterValue> = {};
  for (const [k, p] of Object.entries(map ?? {})) {
    const v = fromInferParameter(p);
    if (v !== undefined) out[k] = v;
  }
  return out;
}
