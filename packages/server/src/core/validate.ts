/**
 * Request validation against a model's specs, before anything is queued (Triton's
 * InferenceRequest::Normalize). Messages follow Triton's wording; clients compare them.
 */
import { elementByteSize, elementCount } from '@inferd/protocol';
import { ServerError, withRequestId } from './errors.js';
import { dimsToString, shapeOverflow } from './shape.js';
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

/** What validation needs of a spec, built once per ModelSpec (specs are immutable) instead of per request. */
interface SpecTable {
  readonly inputs: ReadonlyMap<string, TensorSpec>;
  readonly required: readonly TensorSpec[];
  readonly outputs: ReadonlySet<string>;
  /** Shared by every request that names no outputs (read-only by contract, frozen to be sure). */
  readonly allOutputs: readonly RequestedOutput[];
}

const tables = new WeakMap<ModelSpec, SpecTable>();

function tableOf(spec: ModelSpec): SpecTable {
  let t = tables.get(spec);
  if (t === undefined) {
    t = {
      inputs: new Map(spec.inputs.map((s) => [s.name, s])),
      required: spec.inputs.filter((s) => !s.optional),
      outputs: new Set(spec.outputs.map((o) => o.name)),
      allOutputs: Object.freeze(spec.outputs.map((o) => Object.freeze({ name: o.name }))),
    };
    tables.set(spec, t);
  }
  return t;
}

/** Throws Triton's INVALID_ARG with the request-id prefix. */
function fail(id: string, msg: string): never {
  throw ServerError.invalidArg(withRequestId(id, msg));
}

export function validateRequest(init: InferenceRequestInit, spec: ModelSpec): ValidatedShape {
  const id = init.id ?? '';
  const model = spec.name;
  const table = tableOf(spec);
  const specs = table.inputs;
  const inputs = init.inputs;
  // Duplicates are rare: a Set is only built when there is more than one input.
  const seen = inputs.length > 1 ? new Set<string>() : undefined;
  for (const t of inputs) {
    if (!specs.has(t.name)) fail(id, `unexpected inference input '${t.name}' for model '${model}'`);
    if (seen !== undefined) {
      // Triton refuses the second one as it is added to the request (no request-id prefix there).
      if (seen.has(t.name)) throw ServerError.invalidArg(`input '${t.name}' already exists in request`);
      seen.add(t.name);
    }
  }
  if (table.required.length > 0) checkRequired(init, spec, table, seen);

  let batchSize = 1;
  let first = true;
  for (const t of inputs) {
    const s = specs.get(t.name)!;
    if (t.datatype !== s.datatype) {
      fail(id, `inference input '${t.name}' data-type is '${t.datatype}', but model '${model}' expects '${s.datatype}'`);
    }
    for (const d of t.shape) {
      if (!Number.isInteger(d) || d < 0) fail(id, `invalid shape ${dimsToString(t.shape)} for input '${t.name}' for model '${model}'`);
    }
    const overflow = shapeOverflow(t.name, model, t.shape, t.datatype === 'BYTES' ? 0 : elementByteSize(t.datatype));
    if (overflow !== undefined) fail(id, overflow);
    if (spec.maxBatchSize > 0) {
      if (t.shape.length === 0) {
        fail(id, `inference input '${t.name}' has no batch dimension for model '${model}'. ${BATCH_NOTE}`);
      }
      const b = t.shape[0]!;
      if (first) batchSize = b;
      else if (b !== batchSize) {
        fail(id, `input '${t.name}' batch size does not match other inputs for '${model}'`);
      }
      first = false;
    }
    checkShape(t, s, spec, id);
    checkByteSize(t, model, id);
  }
  if (spec.maxBatchSize > 0 && (batchSize < 1 || batchSize > spec.maxBatchSize)) {
    fail(id, `inference request batch-size must be <= ${spec.maxBatchSize} for '${model}'`);
  }
  return { batchSize, requestedOutputs: resolveOutputs(init, spec, table, id) };
}

function checkRequired(init: InferenceRequestInit, spec: ModelSpec, table: SpecTable, seen: ReadonlySet<string> | undefined): void {
  let missing: string[] | undefined;
  for (const s of table.required) {
    const given = seen !== undefined ? seen.has(s.name) : init.inputs[0]?.name === s.name;
    if (!given) (missing ??= []).push(s.name);
  }
  if (missing === undefined) return;
  const id = init.id ?? '';
  const got = init.inputs.map((t) => `'${t.name}'`).join(',');
  // Triton words the count as a range once the model has optional inputs.
  const expected = table.required.length === spec.inputs.length
    ? `${spec.inputs.length} inputs`
    : `number of inputs between ${table.required.length} and ${spec.inputs.length}`;
  fail(
    id,
    `expected ${expected} but got ${init.inputs.length} inputs for model '${spec.name}'. ` +
      `Got input(s) [${got}], but missing required input(s) [${missing.map((n) => `'${n}'`).join(',')}]. ` +
      'Please provide all required input(s).',
  );
}

function checkShape(t: Tensor, s: TensorSpec, spec: ModelSpec, id: string): void {
  const batching = spec.maxBatchSize > 0;
  if (dimsMatchAfter(s.dims, t.shape, batching ? 1 : 0)) return;
  const expected = batching ? [-1, ...s.dims] : s.dims;
  fail(
    id,
    `unexpected shape for input '${t.name}' for model '${spec.name}'. Expected ${dimsToString(expected)}, ` +
      `got ${dimsToString(t.shape)}.${batching ? ` ${BATCH_NOTE}` : ''}`,
  );
}

/** `dimsMatch(expected, actual.slice(skip))` without the copy. */
function dimsMatchAfter(expected: readonly number[], actual: readonly number[], skip: number): boolean {
  if (expected.length !== actual.length - skip) return false;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    if (e !== -1 && e !== actual[i + skip]) return false;
  }
  return true;
}

function checkByteSize(t: Tensor, model: string, id: string): void {
  const count = elementCount(t.shape);
  if (t.datatype === 'BYTES') {
    checkBytesElements(t, count, model, id);
    return;
  }
  const expected = count * elementByteSize(t.datatype);
  if (t.data.byteLength !== expected) {
    fail(id, `input byte size mismatch for input '${t.name}' for model '${model}'. Expected ${expected}, got ${t.data.byteLength}`);
  }
}

/**
 * A BYTES input must hold exactly `count` length-prefixed elements; the element counts are worded as
 * Triton's core words them (clients and its qa tests compare them).
 */
function checkBytesElements(t: Tensor, count: number, model: string, id: string): void {
  const data = t.data;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let off = 0;
  let seen = 0;
  while (off < data.byteLength) {
    if (seen === count) {
      fail(id, `unexpected number of string elements ${seen + 1} for inference input '${t.name}' for model '${model}', expecting ${count}`);
    }
    if (off + 4 > data.byteLength) {
      fail(id, `input byte size mismatch for input '${t.name}' for model '${model}'. incomplete length prefix for BYTES element ${seen}`);
    }
    const len = view.getUint32(off, true);
    off += 4;
    if (off + len > data.byteLength) {
      fail(
        id,
        `input byte size mismatch for input '${t.name}' for model '${model}'. ` +
          `BYTES element ${seen} declares ${len} bytes but only ${data.byteLength - off} remain`,
      );
    }
    off += len;
    seen += 1;
  }
  if (seen !== count) fail(id, `expected ${count} string elements for inference input '${t.name}' for model '${model}', got ${seen}`);
}

function resolveOutputs(init: InferenceRequestInit, spec: ModelSpec, table: SpecTable, id: string): readonly RequestedOutput[] {
  if (init.outputs === undefined || init.outputs.length === 0) return table.allOutputs;
  const seen = new Set<string>();
  for (const o of init.outputs) {
    if (!table.outputs.has(o.name)) fail(id, `unexpected inference output '${o.name}' for model '${spec.name}'`);
    if (seen.has(o.name)) throw ServerError.invalidArg(`output '${o.name}' already exists in request`);
    seen.add(o.name);
  }
  return init.outputs;
}
