/**
 * The sequence-batching part of the load-time check against the model (Triton onnxruntime_backend
 * ValidateBooleanSequenceControl / ValidateTypedSequenceControl and the implicit-state checks): control
 * inputs and state tensors are model inputs/outputs the config lists outside `input`/`output`, so they
 * count as known and are checked here for presence, dims and datatype.
 */
import { ServerError } from '../../core/index.js';
import type { ConfigDataType, ModelConfig } from '../../config/types.js';
import { configTypeOfOrt, type IoInfo, type SessionMetadata } from './types.js';

const shapeString = (dims: readonly number[]): string => `[${dims.join(',')}]`;

/** Triton's OnnxDataTypeName (ONNX element type names), keyed by onnxruntime-node type strings. */
const ONNX_TYPE_NAMES: Readonly<Record<string, string>> = {
  float32: 'FLOAT', uint8: 'UINT8', int8: 'INT8', uint16: 'UINT16', int16: 'INT16', int32: 'INT32', int64: 'INT64',
  string: 'STRING', bool: 'BOOL', float16: 'FLOAT16', float64: 'DOUBLE', uint32: 'UINT32', uint64: 'UINT64',
};

interface ControlTensor {
  readonly name: string;
  readonly dataType: ConfigDataType;
}

/** Control tensors in config order; the datatype follows the false/true list given (or CORRID's data_type). */
function controlTensors(config: ModelConfig): ControlTensor[] {
  const out: ControlTensor[] = [];
  for (const ci of config.sequence_batching?.control_input ?? []) {
    const c = ci.control?.[0];
    if (c === undefined) continue;
    let dataType: ConfigDataType;
    if ((c.kind ?? 'CONTROL_SEQUENCE_START') === 'CONTROL_SEQUENCE_CORRID') dataType = c.data_type ?? 'TYPE_INVALID';
    else if ((c.int32_false_true?.length ?? 0) > 0) dataType = 'TYPE_INT32';
    else if ((c.fp32_false_true?.length ?? 0) > 0) dataType = 'TYPE_FP32';
    else dataType = 'TYPE_BOOL';
    out.push({ name: ci.name ?? '', dataType });
  }
  return out;
}

/** How many model inputs the sequence batcher supplies: one per control tensor and one per state. */
export function sequenceInputCount(config: ModelConfig): number {
  return controlTensors(config).length + (config.sequence_batching?.state?.length ?? 0);
}

/** Control inputs: present in the model, dims [1] after the batch dim, the datatype the config implies. */
export function validateSequenceControls(config: ModelConfig, metadata: SessionMetadata, modelName: string): void {
  const maxBatchSize = config.max_batch_size ?? 0;
  const modelInputs = new Map(metadata.inputs.map((io) => [io.name, io]));
  for (const control of controlTensors(config)) {
    const info = modelInputs.get(control.name);
    if (info === undefined) {
      throw ServerError.internal(`configuration specified sequence control '${control.name}', but model does not provide that input`);
    }
    const debatched = info.dims.slice(maxBatchSize > 0 ? 1 : 0);
    if (debatched.length !== 1 || debatched[0] !== 1) {
      throw ServerError.invalidArg(
        `unable to load model '${modelName}', sequence control '${control.name}' in model has dims ` +
          `${shapeString(debatched)} but dims [1] is expected`,
      );
    }
    if (configTypeOfOrt(info.type) !== control.dataType) {
      throw ServerError.invalidArg(
        `unable to load model '${modelName}', sequence control '${control.name}', the model expects data-type ` +
          `${ONNX_TYPE_NAMES[info.type] ?? info.type} but the model configuration specifies data-type ${control.dataType}`,
      );
    }
  }
}

/**
 * Implicit states: `input_name` must be a model input and `output_name` a model output, each with the
 * state's datatype and dims (batch dim added when the model batches; a model -1 accepts a fixed dim).
 */
export function validateSequenceStates(config: ModelConfig, metadata: SessionMetadata, modelName: string): void {
  const maxBatchSize = config.max_batch_size ?? 0;
  const modelInputs = new Map(metadata.inputs.map((io) => [io.name, io]));
  const modelOutputs = new Map(metadata.outputs.map((io) => [io.name, io]));
  for (const state of config.sequence_batching?.state ?? []) {
    const dataType = state.data_type ?? 'TYPE_INVALID';
    const dims = state.dims ?? [];
    const sides = [
      ['input', state.input_name ?? '', modelInputs, metadata.inputs],
      ['output', state.output_name ?? '', modelOutputs, metadata.outputs],
    ] as const;
    for (const [kind, name, byName, all] of sides) {
      const info = byName.get(name);
      if (info === undefined) {
        throw ServerError.invalidArg(
          `unable to load model '${modelName}', state ${kind} '${name}' is not a model ${kind}; the model's ${kind}s are: ` +
            all.map((io) => io.name).sort().join(', '),
        );
      }
      checkState(info, kind, name, dataType, dims, maxBatchSize, modelName);
    }
  }
}

function checkState(
  info: IoInfo, kind: 'input' | 'output', name: string, dataType: ConfigDataType, dims: readonly number[],
  maxBatchSize: number, modelName: string,
): void {
  const modelType = configTypeOfOrt(info.type);
  if (modelType !== dataType) {
    throw ServerError.invalidArg(
      `unable to load model '${modelName}', configuration expects datatype ${dataType} for ${kind} state '${name}', ` +
        `model provides ${modelType}`,
    );
  }
  const full = maxBatchSize > 0 ? [-1, ...dims] : [...dims];
  const matches = info.dims.length === full.length && full.every((d, i) => info.dims[i] === -1 || info.dims[i] === d);
  if (!matches) {
    throw ServerError.invalidArg(
      `unable to load model '${modelName}', ${kind} state '${name}': the model expects shape ${shapeString(info.dims)} ` +
        `but the state dims give ${shapeString(full)}${maxBatchSize > 0 ? ' (batch dimension first, as max_batch_size > 0)' : ''}`,
    );
  }
}
