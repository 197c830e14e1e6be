/**
 * ONNX Runtime auto-complete (spec §7, Triton onnxruntime_backend AutoCompleteConfig): fill
 * max_batch_size, dynamic_batching and the input/output lists from the model's signature.
 * Pure: the signature comes in, a new config goes out.
 */
import { ServerError } from '../../core/index.js';
import type { ModelConfig, ModelInput, ModelOutput } from '../../config/types.js';
import { configTypeOfOrt, type IoInfo, type SessionMetadata } from './types.js';

/** Triton's `--backend-config=default-max-batch-size` default. */
export const DEFAULT_MAX_BATCH_SIZE = 4;

/** True when the config lists both inputs (or batch inputs) and outputs: Triton then leaves it alone. */
export function ioAlreadySpecified(config: ModelConfig): boolean {
  const inputs = (config.input?.length ?? 0) + (config.batch_input?.length ?? 0);
  return inputs > 0 && (config.output?.length ?? 0) > 0;
}

/**
 * Completes `config` from `metadata`. `defaultMaxBatchSize` is the backend-config value used when the
 * model can batch and the config says 0 (or nothing).
 */
export function autoCompleteConfig(
  config: ModelConfig, metadata: SessionMetadata, modelName: string, defaultMaxBatchSize: number,
): ModelConfig {
  if (ioAlreadySpecified(config)) return config;
  for (const io of [...metadata.inputs, ...metadata.outputs]) {
    if (!io.isTensor) {
      throw ServerError.unsupported(`Unsupported ONNX Type for I/O '${io.name}' of model '${modelName}', expected 'ONNX_TYPE_TENSOR'.`);
    }
  }
  const out: ModelConfig = { ...config };
  let maxBatchSize = config.max_batch_size ?? 0;
  // A model can batch when every input and output has a variable first dim (Triton's rule).
  const canBatch = [...metadata.inputs, ...metadata.outputs].every((io) => io.dims.length > 0 && io.dims[0] === -1);
  if (canBatch) {
    if (maxBatchSize === 0) maxBatchSize = Math.max(defaultMaxBatchSize, 0);
    out.max_batch_size = maxBatchSize;
    if (maxBatchSize > 1 && config.dynamic_batching === undefined && config.sequence_batching === undefined) {
      out.dynamic_batching = {};
    }
  } else if (maxBatchSize !== 0) {
    throw ServerError.invalidArg(
      `autofill failed for model '${modelName}': model does not support batching while non-zero max_batch_size is specified`,
    );
  } else {
    out.max_batch_size = 0;
  }
  const inputCount = (config.input?.length ?? 0) + (config.batch_input?.length ?? 0);
  if (inputCount === 0) out.input = metadata.inputs.map((io) => completeIo(io, maxBatchSize, modelName, 'input'));
  if ((config.output?.length ?? 0) === 0) {
    out.output = metadata.outputs.map((io) => completeIo(io, maxBatchSize, modelName, 'output'));
  }
  return out;
}

function completeIo(io: IoInfo, maxBatchSize: number, modelName: string, kind: 'input' | 'output'): ModelInput & ModelOutput {
  const dataType = configTypeOfOrt(io.type);
  if (dataType === 'TYPE_INVALID') {
    throw ServerError.unsupported(
      `unsupported datatype '${io.type}' for ${kind} '${io.name}' for model '${modelName}': no Triton datatype matches it`,
    );
  }
  // With batching, the model's first dim is the batch dim and does not appear in config dims.
  const dims = maxBatchSize > 0 ? io.dims.slice(1) : [...io.dims];
  if (dims.length > 0) return { name: io.name, data_type: dataType, dims };
  // Config dims may not be empty: a per-item scalar is dims [1], reshaped to [] for the model.
  return maxBatchSize > 0
    ? { name: io.name, data_type: dataType, dims: [1], reshape: { shape: [] } }
    : { name: io.name, data_type: dataType, dims: [1] };
}
