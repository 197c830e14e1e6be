/**
 * Request validation against a model's specs, before anything is queued (Triton's
 * InferenceRequest::Normalize). Messages follow Triton's wording; clients compare them.
 */
import { decodeBytesElements, elementByteSize, elementCount } from '@inferd/protocol';
import { ServerError, withRequestId } from './errors.js';
import { dimsMatch, dimsToString } from './shape.js';
import type { ModelSpec, TensorSpec } from './contracts.js';
import type { InferenceRequestInit, RequestedOutput } from './request.js';
import type { Tensor } from './tensor.js';

const BATCH_NOTE =
  'NOTE: Setting a non-zero max_batch_size in the model config requires a batch dimension to be prepended to each input shape. ' +
  'If you want to specify the full shape including the batch dim in your input dims config, try setting max_batch_size to zero. ' +
  'See the model configuration docs for more info on max_batch_size.';

export interface ValidatedShape {
  batchSize: number;
  requestedOutputs: readonly RequestedOutput[];
}

export function validateRequest(init: InferenceRequestInit, spec: ModelSpec): ValidatedShape {
  const id = init.id ?? '';
  const fail = (msg: string): never => {
    throw ServerError.invalidArg(withRequestId(id, msg));
  };
  const model = spec.name;
  const specs = new Map(spec.inputs.map((s) => [s.name, s]));
  const seen = new Set<string>();
  for (const t of init.inputs) {
    if (!specs.has(t.name)) fail(`unexpected inference input '${t.name}' for model '${model}'`);
    if (seen.has(t.name)) fail(`input '${t.name}' is specified more than once for model '${model}'`);
    seen.add(t.name);
  }
  const required = spec.inputs.filter((s) => !s.optional);
  const missing = required.filter((s) => !seen.has(s.name)).map((s) => s.name);
  if (missing.length > 0) {
    const got = init.inputs.map((t) => `'${t.name}'`).join(',');
    fail(
      `expected ${spec.inputs.length} inputs but got ${init.inputs.length} inputs for model '${model}'. ` +
        `Got input(s) [${got}], but missing required input(s) [${missing.map((n) => `'${n}'`).join(',')}]. ` +
        'Please provide all required input(s).',
    );
  }

  let batchSize = 1;
  let first = true;
  for (const t of init.inputs) {
    const s = specs.get(t.name)!;
    if (t.datatype !== s.datatype) {
      fail(`inference input '${t.name}' data-type is '${t.datatype}', but model '${model}' expects '${s.datatype}'`);
    }
    for (const d of t.shape) {
      if (!Number.isInteger(d) || d < 0) fail(`invalid shape ${dimsToString(t.shape)} for input '${t.name}' for model '${model}'`);
    }
    if (spec.maxBatchSize > 0) {
      if (t.shape.length === 0) {
        fail(`inference input '${t.name}' has no batch dimension for model '${model}'. ${BATCH_NOTE}`);
      }
      const b = t.shape[0]!;
      if (first) batchSize = b;
      else if (b !== batchSize) {
        fail(`input '${t.name}' batch size does not match other inputs for '${model}'`);
      }
      first = false;
    }
    checkShape(t, s, spec, fail);
    checkByteSize(t, model, fail);
  }
  if (spec.maxBatchSize > 0 && (batchSize < 1 || batchSize > spec.maxBatchSize)) {
    fail(`inference request batch-size must be <= ${spec.maxBatchSize} for '${model}'`);
  }
  return { batchSize, requestedOutputs: resolveOutputs(init, spec, fail) };
}

function checkShape(t: Tensor, s: TensorSpec, spec: ModelSpec, fail: (m: string) => never): void {
  const batching = spec.maxBatchSize > 0;
  const actual = batching ? t.shape.slice(1) : t.shape;
  if (dimsMatch(s.dims, actual)) return;
  const expected = batching ? [-1, ...s.dims] : s.dims;
  fail(
    `unexpected shape for input '${t.name}' for model '${spec.name}'. Expected ${dimsToString(expected)}, ` +
      `got ${dimsToString(t.shape)}.${batching ? ` ${BATCH_NOTE}` : ''}`,
  );
}

function checkByteSize(t: Tensor, model: string, fail: (m: string) => never): void {
  const count = elementCount(t.shape);
  if (t.datatype === 'BYTES') {
    try {
      decodeBytesElements(t.data, count);
    } catch (err) {
      fail(`input byte size mismatch for input '${t.name}' for model '${model}'. ${(err as Error).message}`);
    }
    return;
  }
  const expected = count * elementByteSize(t.datatype);
  if (t.data.byteLength !== expected) {
    fail(`input byte size mismatch for input '${t.name}' for model '${model}'. Expected ${expected}, got ${t.data.byteLength}`);
  }
}

function resolveOutputs(init: InferenceRequestInit, spec: ModelSpec, fail: (m: string) => never): readonly RequestedOutput[] {
  if (init.outputs === undefined || init.outputs.length === 0) return spec.outputs.map((o) => ({ name: o.name }));
  const known = new Set(spec.outputs.map((o) => o.name));
  const seen = new Set<string>();
  for (const o of init.outputs) {
    if (!known.has(o.name)) fail(`unexpected inference output '${o.name}' for model '${spec.name}'`);
    if (seen.has(o.name)) fail(`output '${o.name}' is requested more than once for model '${spec.name}'`);
    seen.add(o.name);
  }
  return init.outputs;
}
