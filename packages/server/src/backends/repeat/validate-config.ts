/**
 * Load-time checks of a `repeat` model's config, so that a wrong config fails the load with a clear
 * message instead of failing every request. Wording follows Triton's repeat example backend.
 */
import { ServerError } from '../../core/index.js';
import type { ConfigDataType, ModelConfig, ModelInput, ModelOutput } from '../../config/types.js';

type Tensor = ModelInput | ModelOutput;

const shapeText = (dims: readonly number[] | undefined): string => `[${(dims ?? []).join(',')}]`;

function invalid(model: string, message: string): ServerError {
  return ServerError.invalidArg(`repeat backend, model '${model}': ${message}`);
}

function find<T extends Tensor>(list: readonly T[] | undefined, name: string): T | undefined {
  return list?.find((t) => t.name === name);
}

function expectType(model: string, t: Tensor, want: ConfigDataType): void {
  if (t.data_type !== want) {
    throw invalid(model, `expected ${t.name} datatype to be ${want.slice(5)}, got ${t.data_type ?? 'TYPE_INVALID'}`);
  }
}

function expectOneElement(model: string, t: Tensor): void {
  if (t.dims?.length !== 1 || t.dims[0] !== 1) throw invalid(model, `expected ${t.name} shape to be [1], got ${shapeText(t.dims)}`);
}

/**
 * Inputs IN (INT32, one dim), optional DELAY (UINT32, same dims as IN) and WAIT (UINT32 [1]); outputs
 * OUT (INT32 [1]) and optional IDX (UINT32 [1]); `max_batch_size: 0`; decoupled transaction policy.
 */
export function validateRepeatConfig(model: string, config: ModelConfig): void {
  // Responses come from timers after execute returns, which only a decoupled model may do.
  if (config.model_transaction_policy?.decoupled !== true) {
    throw invalid(model, "requires 'model_transaction_policy { decoupled: true }' (it sends one response per IN element)");
  }
  if ((config.max_batch_size ?? 0) !== 0) {
    throw invalid(model, `requires 'max_batch_size: 0', got ${config.max_batch_size}`);
  }
  const known = new Set(['IN', 'DELAY', 'WAIT']);
  for (const input of config.input ?? []) {
    if (!known.has(input.name ?? '')) throw invalid(model, `unexpected input '${input.name}', expected IN, DELAY and WAIT`);
  }
  const inp = find(config.input, 'IN');
  if (inp === undefined) throw invalid(model, "expected an input named 'IN'");
  expectType(model, inp, 'TYPE_INT32');
  if (inp.dims?.length !== 1) throw invalid(model, `expected IN shape to have one dimension, got ${shapeText(inp.dims)}`);
  const delay = find(config.input, 'DELAY');
  if (delay !== undefined) {
    expectType(model, delay, 'TYPE_UINT32');
    if (shapeText(delay.dims) !== shapeText(inp.dims)) {
      throw invalid(model, `expected IN and DELAY shape to match, got ${shapeText(inp.dims)} and ${shapeText(delay.dims)}`);
    }
  }
  const wait = find(config.input, 'WAIT');
  if (wait !== undefined) {
    expectType(model, wait, 'TYPE_UINT32');
    expectOneElement(model, wait);
  }
  for (const output of config.output ?? []) {
    if (output.name !== 'OUT' && output.name !== 'IDX') throw invalid(model, `unexpected output '${output.name}', expected OUT and IDX`);
  }
  const out = find(config.output, 'OUT');
  if (out === undefined) throw invalid(model, "expected an output named 'OUT'");
  expectType(model, out, 'TYPE_INT32');
  expectOneElement(model, out);
  const idx = find(config.output, 'IDX');
  if (idx !== undefined) {
    expectType(model, idx, 'TYPE_UINT32');
    expectOneElement(model, idx);
  }
}
