/**
 * Input/output validation of Triton core (ValidateModelIOConfig, ValidateIOShape, ValidateBatchIO) with
 * its messages; every message of the I/O part ends with ` for <model>`, as Triton appends it.
 */
import { ConfigError } from './errors.js';
import type { ModelConfig, ModelInput, ModelOutput } from './types.js';

const WILDCARD = -1;

/** Triton's GetElementCount: -1 when any dim is variable, 0 for an empty shape, else the product. */
function elementCount(dims: readonly number[]): number {
  if (dims.includes(WILDCARD)) return WILDCARD;
  return dims.length === 0 ? 0 : dims.reduce((a, b) => a * b, 1);
}

/** Element counts of the runs between variable dims: [2,4,-1,6] -> [8, 6]. */
function chunkCounts(dims: readonly number[]): number[] {
  const out: number[] = [];
  let n = 1;
  for (const d of dims) {
    if (d === WILDCARD) {
      out.push(n);
      n = 1;
    } else n *= d;
  }
  out.push(n);
  return out;
}

/** Returns the message of the first shape problem of one input or output, or undefined. */
function ioShapeError(io: ModelInput | ModelOutput, maxBatchSize: number, prefix: string): string | undefined {
  if (!io.name) return `${prefix}must specify 'name'`;
  const p = `${prefix}'${io.name}' `;
  if (io.data_type === undefined || io.data_type === 'TYPE_INVALID') return `${p}must specify 'data_type'`;
  const dims = io.dims ?? [];
  if (dims.length === 0) return `${p}must specify 'dims'`;
  const reshape = io.reshape?.shape;
  if (io.reshape !== undefined && (reshape ?? []).length === 0 && maxBatchSize === 0) {
    return `${p}cannot have empty reshape for non-batching model as scalar tensors are not supported`;
  }
  if (dims.some((d) => d < 1 && d !== WILDCARD)) {
    return `${p}dimension must be integer >= 1, or ${WILDCARD} to indicate a variable-size dimension`;
  }
  if (io.reshape === undefined) return undefined;
  const shape = reshape ?? [];
  if (shape.some((d) => d < 1 && d !== WILDCARD)) {
    return `${p}reshape dimensions must be integer >= 1, or ${WILDCARD} to indicate a variable-size dimension`;
  }
  const dimsSize = elementCount(dims);
  const reshapeSize = elementCount(shape);
  // An empty reshape (scalar per batch item) is allowed for dims whose element count is 1.
  if (dimsSize !== reshapeSize && (reshapeSize !== 0 || dimsSize !== 1)) return `${p}has different size for dims and reshape`;
  if (dimsSize === WILDCARD) {
    const a = chunkCounts(dims);
    const b = chunkCounts(shape);
    if (a.length !== b.length) return `${p}has different number of variable-size dimensions for dims and reshape`;
    if (a.some((n, i) => n !== b[i])) return `${p}has different size for dims and reshape`;
  }
  return undefined;
}

function nonLinearError(io: ModelInput | ModelOutput, platform: string, isInput: boolean): string | undefined {
  if (!io.is_non_linear_format_io) return undefined;
  if (platform !== 'tensorrt_plan') return 'Non-linear IO format is only supported for the TensorRT platform';
  if ((io.dims ?? []).length !== 3) return `Non-linear IO format ${isInput ? 'input' : 'output'} requires 3 dims`;
  return undefined;
}

function inputError(io: ModelInput, maxBatchSize: number, platform: string): string | undefined {
  const shape = ioShapeError(io, maxBatchSize, 'model input ');
  if (shape !== undefined) return shape;
  if ((io.format === 'FORMAT_NHWC' || io.format === 'FORMAT_NCHW') && (io.dims ?? []).length !== 3) {
    return 'model input NHWC/NCHW require 3 dims';
  }
  if (platform !== 'tensorrt_plan' && io.is_shape_tensor) return 'shape tensors are only supported for TensorRT platform';
  return nonLinearError(io, platform, true);
}

function outputError(io: ModelOutput, maxBatchSize: number, platform: string): string | undefined {
  const shape = ioShapeError(io, maxBatchSize, 'model output ');
  if (shape !== undefined) return shape;
  if (platform !== 'tensorrt_plan' && io.is_shape_tensor) return 'shape tensors are only supported for TensorRT platform';
  return nonLinearError(io, platform, false);
}

/** Duplicate names would make request validation ambiguous (not a Triton core check; wording is ours). */
function duplicateError(names: readonly (string | undefined)[], what: string): string | undefined {
  const seen = new Set<string>();
  for (const n of names) {
    if (n === undefined || n === '') continue;
    if (seen.has(n)) return `${what} '${n}' is specified more than once`;
    seen.add(n);
  }
  return undefined;
}

function batchIoError(config: ModelConfig): string | undefined {
  const inputs = new Set((config.input ?? []).map((i) => i.name ?? ''));
  const outputs = new Set((config.output ?? []).map((o) => o.name ?? ''));
  for (const bi of config.batch_input ?? []) {
    const kind = bi.kind ?? 'BATCH_ELEMENT_COUNT';
    const sources = bi.source_input ?? [];
    if (sources.length !== 1) return `batch input kind '${kind}' expects 1 source input, got ${sources.length}`;
    if (bi.data_type !== 'TYPE_INT32' && bi.data_type !== 'TYPE_FP32') {
      return 'batch input data type must be TYPE_INT32 or TYPE_FP32';
    }
    const unknown = sources.find((s) => !inputs.has(s));
    if (unknown !== undefined) return `unknown source input name '${unknown}'`;
  }
  for (const bo of config.batch_output ?? []) {
    const kind = bo.kind ?? 'BATCH_SCATTER_WITH_INPUT_SHAPE';
    const sources = bo.source_input ?? [];
    if (sources.length !== 1) return `batch output kind '${kind}' expects 1 source input, got ${sources.length}`;
    const unknown = sources.find((s) => !inputs.has(s));
    if (unknown !== undefined) return `unknown source input name '${unknown}'`;
    const targets = new Set<string>();
    for (const t of bo.target_name ?? []) {
      if (!outputs.has(t)) return `unknown target output name '${t}'`;
      if (targets.has(t)) return `target output name '${t}' can only be specified once`;
      targets.add(t);
    }
  }
  return undefined;
}

/** Throws ConfigError for the first invalid input, output or batch input/output. */
export function validateIo(config: ModelConfig): void {
  const maxBatchSize = config.max_batch_size ?? 0;
  const platform = config.platform ?? '';
  const message =
    (config.input ?? []).map((io) => inputError(io, maxBatchSize, platform)).find((m) => m !== undefined) ??
    (config.output ?? []).map((io) => outputError(io, maxBatchSize, platform)).find((m) => m !== undefined) ??
    duplicateError((config.input ?? []).map((i) => i.name), 'model input') ??
    duplicateError((config.output ?? []).map((o) => o.name), 'model output') ??
    batchIoError(config);
  if (message !== undefined) throw new ConfigError(`${message} for ${config.name ?? ''}`);
}
