/**
 * Checks a final config against the model's signature at load, with Triton onnxruntime_backend's
 * messages (ValidateInputs / ValidateOutputs / CompareDimsSupported), so a mismatch fails the load
 * instead of every request.
 */
import { ServerError } from '../../core/index.js';
import type { ModelConfig, ModelInput, ModelOutput } from '../../config/types.js';
import { configTypeOfOrt, type IoInfo, type SessionMetadata } from './types.js';
import { sequenceInputCount, validateSequenceControls, validateSequenceStates } from './validate-sequence-io.js';

const shapeString = (dims: readonly number[]): string => `[${dims.join(',')}]`;

export function validateConfigAgainstModel(config: ModelConfig, metadata: SessionMetadata, modelName: string): void {
  const maxBatchSize = config.max_batch_size ?? 0;
  const inputs = config.input ?? [];
  const outputs = config.output ?? [];
  const modelInputs = new Map(metadata.inputs.map((io) => [io.name, io]));
  const modelOutputs = new Map(metadata.outputs.map((io) => [io.name, io]));

  // Sequence control and state inputs are model inputs the config names outside `input` (Triton checks
  // the controls before counting).
  validateSequenceControls(config, metadata, modelName);
  // Optional config inputs may name overridable initializers, which the session does not list as inputs.
  const expected = inputs.filter((i) => i.optional !== true || modelInputs.has(i.name ?? '')).length +
    (config.batch_input?.length ?? 0) + sequenceInputCount(config);
  if (metadata.inputs.length !== expected) {
    throw ServerError.invalidArg(
      `unable to load model '${modelName}', configuration expects ${expected} inputs, model provides ${metadata.inputs.length}`,
    );
  }
  for (const io of inputs) {
    const name = io.name ?? '';
    if (io.optional === true && maxBatchSize !== 0) {
      throw ServerError.invalidArg(
        `unable to load model '${modelName}', optional input '${name}' is not supported for models that support batching`,
      );
    }
    const info = modelInputs.get(name);
    if (info === undefined) {
      if (io.optional === true) continue;
      throw ServerError.invalidArg(`unexpected inference input '${name}', allowed inputs are: ${sortedNames(metadata.inputs)}`);
    }
    if (io.allow_ragged_batch === true) {
      checkRaggedInput(io, info, modelName);
      continue;
    }
    checkIo(io, info, 'input', modelName, maxBatchSize, false);
  }
  // A batch output's model shape need not match its config dims (Triton skips the comparison).
  const batchOutputs = new Set((config.batch_output ?? []).flatMap((bo) => bo.target_name ?? []));
  for (const io of outputs) {
    const name = io.name ?? '';
    const info = modelOutputs.get(name);
    if (info === undefined) {
      throw ServerError.invalidArg(`unexpected inference output '${name}', allowed outputs are: ${sortedNames(metadata.outputs)}`);
    }
    if (batchOutputs.has(name)) checkType(io, info, 'output', modelName);
    else checkIo(io, info, 'output', modelName, maxBatchSize, true);
  }
  validateSequenceStates(config, metadata, modelName);
}

/** Triton lists allowed names from a std::set: sorted, comma-separated. */
function sortedNames(ios: readonly IoInfo[]): string {
  return ios.map((io) => io.name).sort().join(', ');
}

/**
 * A ragged input reaches the model as the 1-D concatenation of every request's elements, so the model
 * must take shape [-1] whatever the config dims are (Triton's ValidateInputs, double space included).
 */
function checkRaggedInput(io: ModelInput, info: IoInfo, modelName: string): void {
  const name = io.name ?? '';
  checkType(io, info, 'input', modelName);
  if (io.optional === true) {
    throw ServerError.invalidArg(
      `unable to load model '${modelName}', configuration expects model provides input with shape [-1] for ragged ` +
        `input '${name}', which is not supported for optional input`,
    );
  }
  if (info.dims.length !== 1 || info.dims[0] !== -1) {
    throw ServerError.invalidArg(
      `unable to load model '${modelName}', configuration expects model provides input with shape [-1]  for ragged ` +
        `input '${name}', model provides ${shapeString(info.dims)}`,
    );
  }
}

function checkIo(
  io: ModelInput | ModelOutput, info: IoInfo, kind: 'input' | 'output', modelName: string, maxBatchSize: number,
  compareExact: boolean,
): void {
  checkType(io, info, kind, modelName);
  const name = io.name ?? '';
  // The reshape, when given, is the shape the model sees.
  const dims = io.reshape !== undefined ? io.reshape.shape ?? [] : io.dims ?? [];
  if (info.dims.length === 0) {
    if (dims.some((d) => d !== 1)) {
      throw ServerError.invalidArg(
        `unable to load model '${modelName}', scalar tensor '${name}', should only provide 1 in the model configuration ` +
          `when the model doesn't support batching. Model configuration provided: ${shapeString(dims)}.`,
      );
    }
    return;
  }
  compareDims(modelName, name, info.dims, dims, maxBatchSize, compareExact);
}

function checkType(io: ModelInput | ModelOutput, info: IoInfo, kind: 'input' | 'output', modelName: string): void {
  const name = io.name ?? '';
  const dataType = io.data_type ?? 'TYPE_INVALID';
  if (dataType === 'TYPE_BF16') {
    throw ServerError.unsupported(
      `unsupported datatype TYPE_BF16 for ${kind} '${name}' for model '${modelName}': onnxruntime-node has no bfloat16 tensors`,
    );
  }
  if (!info.isTensor) {
    throw ServerError.unsupported(`Unsupported ONNX Type for I/O '${name}' of model '${modelName}', expected 'ONNX_TYPE_TENSOR'.`);
  }
  const modelType = configTypeOfOrt(info.type);
  if (modelType !== dataType) {
    throw ServerError.invalidArg(
      `unable to load model '${modelName}', configuration expects datatype ${dataType} for ${kind} '${name}', ` +
        `model provides ${modelType}`,
    );
  }
}

/** Inputs accept a fixed config dim where the model has -1; outputs must match exactly. */
function compareDims(
  modelName: string, tensor: string, modelShape: readonly number[], dims: readonly number[], maxBatchSize: number,
  compareExact: boolean,
): void {
  const matches = (full: readonly number[]): boolean =>
    modelShape.length === full.length &&
    full.every((d, i) => (!compareExact && modelShape[i] === -1) || modelShape[i] === d);
  if (maxBatchSize > 0) {
    if (modelShape[0] !== -1) {
      throw ServerError.invalidArg(
        `model '${modelName}', tensor '${tensor}': for the model to support batching the shape should have at least 1 ` +
          `dimension and the first dimension must be -1; but shape expected by the model is ${shapeString(modelShape)}`,
      );
    }
    const full = [-1, ...dims];
    if (!matches(full)) {
      throw ServerError.invalidArg(
        `model '${modelName}', tensor '${tensor}': the model expects ${modelShape.length} dimensions (shape ` +
          `${shapeString(modelShape)}) but the model configuration specifies ${full.length} dimensions (an initial batch ` +
          `dimension because max_batch_size > 0 followed by the explicit tensor shape, making complete shape ` +
          `${shapeString(full)})`,
      );
    }
    return;
  }
  if (!matches(dims)) {
    throw ServerError.invalidArg(
      `model '${modelName}', tensor '${tensor}': the model expects ${modelShape.length} dimensions (shape ` +
        `${shapeString(modelShape)}) but the model configuration specifies ${dims.length} dimensions (shape ${shapeString(dims)})`,
    );
  }
}
