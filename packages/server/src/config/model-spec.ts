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
    configJson: renderConfigJson(config),
  };
}
