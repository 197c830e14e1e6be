/**
 * InferenceResponse -> ModelInferResponse (spec §5.3): every output's bytes go to
 * `raw_output_contents`, one entry per output in the same order, as Buffer views of the tensor data
 * (no copy before serialization). Response parameters map onto InferParameter's oneof.
 */
import type { pb } from '@inferd/protocol';
import type { InferenceResponse, Parameters, ParameterValue } from '../../core/index.js';

function inferParameter(v: ParameterValue): pb.InferParameterInit {
  if (typeof v === 'boolean') return { bool_param: v };
  if (typeof v === 'string') return { string_param: v };
  return Number.isInteger(v) ? { int64_param: v } : { double_param: v };
}

export function encodeParameters(params: Parameters | undefined): Record<string, pb.InferParameterInit> {
  const out: Record<string, pb.InferParameterInit> = {};
  if (params !== undefined) for (const key of Object.keys(params)) out[key] = inferParameter(params[key]!);
  return out;
}

function view(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

const EMPTY = Buffer.alloc(0);
/** The reply's `parameters` when the model sets none; serialization only reads it. */
const NO_PARAMETERS: Record<string, pb.InferParameterInit> = Object.freeze({}) as Record<string, pb.InferParameterInit>;

/**
 * `extra` parameters (e.g. `triton_final_response`) are added after the model's own. Outputs that
 * `shmOutputs` holds were written into their region: their raw entry is empty (spec §5.3).
 */
export function encodeInferResponse(
  r: InferenceResponse,
  extra?: Record<string, pb.InferParameterInit>,
  shmOutputs?: { isOutput(name: string): boolean },
): pb.ModelInferResponseInit {
  const n = r.outputs.length;
  const outputs = new Array<pb.ModelInferResponse_InferOutputTensorInit>(n);
  const raw = new Array<Buffer>(n);
  for (let i = 0; i < n; i++) {
    const t = r.outputs[i]!;
    outputs[i] = { name: t.name, datatype: t.datatype, shape: t.shape as number[] };
    raw[i] = shmOutputs?.isOutput(t.name) === true ? EMPTY : view(t.data);
  }
  let parameters: Record<string, pb.InferParameterInit>;
  if (extra === undefined && r.parameters === undefined) {
    parameters = NO_PARAMETERS;
  } else {
    parameters = encodeParameters(r.parameters);
    if (extra !== undefined) Object.assign(parameters, extra);
  }
  return {
    model_name: r.modelName, model_version: r.modelVersion, id: r.id, parameters, outputs, raw_output_contents: raw,
  };
}
