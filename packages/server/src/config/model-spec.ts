/** Normalized config -> the ModelSpec core validates requests against (core/contracts.ts). */
import { dataTypeFromConfig, type DataType } from '@inferd/protocol';
import type { ModelSpec, TensorSpec } from '../core/contracts.js';
import { ConfigError } from './errors.js';
import { renderConfigJson } from './json-render.js';
import type { ModelConfig, ModelInput, ModelOutput } from './types.js';

function datatype(io: ModelInput | ModelOutput, what: string, model: string): DataType {
  const dt = dataTypeFromConfig(io.data_type ?? 'TYPE_INVALID');
  if (dt === undefined) throw new ConfigError(`${what} '${io.name ?? ''}' must specify 'data_type' for ${model}`);
  return dt;
}

function tensorSpec(io: ModelInput | ModelOutput, what: string, model: string, labels?: readonly string[]): TensorSpec {
  const input = io as ModelInput;
  return {
    name: io.name ?? '',
    datatype: datatype(io, what, model),
    dims: [...(io.dims ?? [])],
    ...(io.reshape !== undefined ? { reshape: [...(io.reshape.shape ?? [])] } : {}),
    optional: input.optional === true,
    allowRaggedBatch: input.allow_ragged_batch === true,
    isShapeTensor: io.is_shape_tensor === true,
    ...(labels !== undefined ? { labels } : {}),
  };
}

function plainSpec(name: string, datatype: DataType, dims: readonly number[]): TensorSpec {
  return { name, datatype, dims: [...dims], optional: false, allowRaggedBatch: false, isShapeTensor: false };
}

/**
 * The tensors the sequence batcher adds: one control input per `control_input` (one element per batch
 * slot, so dims [1]) and each implicit state's input and output with the state's dtype and dims.
 */
function sequenceTensors(config: ModelConfig, model: string): Pick<ModelSpec, 'internalInputs' | 'internalOutputs'> {
  const seq = config.sequence_batching;
  if (seq === undefined) return { internalInputs: [], internalOutputs: [] };
  const inputs: TensorSpec[] = [];
  for (const ci of seq.control_input ?? []) {
    const c = ci.control?.[0];
    if (c === undefined) continue;
    let dt: DataType | undefined;
    if ((c.kind ?? 'CONTROL_SEQUENCE_START') === 'CONTROL_SEQUENCE_CORRID') dt = dataTypeFromConfig(c.data_type ?? 'TYPE_INVALID');
    else if ((c.int32_false_true?.length ?? 0) > 0) dt = 'INT32';
    else if ((c.fp32_false_true?.length ?? 0) > 0) dt = 'FP32';
    else dt = 'BOOL';
    if (dt === undefined) throw new ConfigError(`control input '${ci.name ?? ''}' has no valid data type for ${model}`);
    inputs.push(plainSpec(ci.name ?? '', dt, [1]));
  }
  const outputs: TensorSpec[] = [];
  for (const st of seq.state ?? []) {
    const dt = dataTypeFromConfig(st.data_type ?? 'TYPE_INVALID');
    if (dt === undefined) throw new ConfigError(`state '${st.input_name ?? ''}' must specify 'data_type' for ${model}`);
    inputs.push(plainSpec(st.input_name ?? '', dt, st.dims ?? []));
    outputs.push(plainSpec(st.output_name ?? '', dt, st.dims ?? []));
  }
  return { internalInputs: inputs, internalOutputs: outputs };
}

/**
 * Builds the spec of one version. `labels` maps output name -> label lines (read by the repository from
 * each output's label_filename); `configJson` is the /config rendering of this very config.
 */
export function toModelSpec(
  config: ModelConfig, version: number, labels: ReadonlyMap<string, readonly string[]>,
): ModelSpec {
  const name = config.name ?? '';
  return {
    name,
    version,
    platform: config.platform || config.backend || '',
    maxBatchSize: config.max_batch_size ?? 0,
    inputs: (config.input ?? []).map((io) => tensorSpec(io, 'model input', name)),
    outputs: (config.output ?? []).map((io) => tensorSpec(io, 'model output', name, labels.get(io.name ?? ''))),
    decoupled: config.model_transaction_policy?.decoupled === true,
    ...sequenceTensors(config, name),
    configJson: renderConfigJson(config),
  };
}
