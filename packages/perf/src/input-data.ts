/**
 * Request inputs, as perf_analyzer makes them: `random` or `zero` data shaped from the model (with
 * `--shape` for variable dims), or a JSON data file in perf_analyzer's format
 * (`{"data": [{"INPUT0": [..] | {"content": [..], "shape": [..]} | {"b64": ".."}}, ...]}`). Each set is
 * one request; requests cycle through the sets. Bytes are built once, before the load starts.
 */
import { readFileSync } from 'node:fs';
import {
  TYPED_ARRAYS, elementCount, encodeBytesElements, encodeBf16, encodeFp16, jsonDataToBytes, typedBytes, type DataType,
} from '@inferd/protocol';
import { ServerError } from 'inferd';
import type { ModelInfo, TensorInfo } from './model-info.js';

/** One input tensor of a request: full shape (batch dim included when the model batches), LE bytes. */
export interface PerfTensor {
  readonly name: string;
  readonly datatype: DataType;
  readonly shape: readonly number[];
  readonly data: Uint8Array;
}

export type InputSet = readonly PerfTensor[];

export interface InputDataOptions {
  readonly batchSize: number;
  readonly inputData: string;
  readonly shapes: ReadonlyMap<string, readonly number[]>;
  readonly stringLength: number;
  readonly stringData: string | undefined;
  readonly seed: number;
}

/** mulberry32: small, seeded, good enough for load data (Math.random cannot be seeded). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export function buildInputSets(model: ModelInfo, opts: InputDataOptions): InputSet[] {
  if (model.maxBatchSize === 0 && opts.batchSize > 1) {
    throw ServerError.invalidArg(`model '${model.name}' does not support batching; -b must be 1`);
  }
  if (model.maxBatchSize > 0 && opts.batchSize > model.maxBatchSize) {
    throw ServerError.invalidArg(`-b ${opts.batchSize} exceeds max_batch_size ${model.maxBatchSize} of model '${model.name}'`);
  }
  for (const name of opts.shapes.keys()) {
    if (!model.inputs.some((i) => i.name === name)) throw ServerError.invalidArg(`--shape: model has no input '${name}'`);
  }
  if (opts.inputData === 'random' || opts.inputData === 'zero') {
    const random = opts.inputData === 'random' ? rng(opts.seed) : undefined;
    // An optional input with variable dims and no --shape is simply not sent.
    const sent = model.inputs.filter((i) => !(i.optional === true && i.dims.some((d) => d < 0) && !opts.shapes.has(i.name)));
    return [sent.map((input) => generated(model, input, opts, random))];
  }
  return fromJsonFile(model, opts);
}

function dimsOf(input: TensorInfo, opts: InputDataOptions): readonly number[] {
  const dims = opts.shapes.get(input.name) ?? input.dims;
  if (dims.some((d) => d < 0)) {
    throw ServerError.invalidArg(`input '${input.name}' has variable dims [${input.dims.join(',')}]; give them with --shape ${input.name}:d1,d2,...`);
  }
  return dims;
}

function fullShape(model: ModelInfo, dims: readonly number[], batch: number): number[] {
  return model.maxBatchSize > 0 ? [batch, ...dims] : [...dims];
}

function generated(model: ModelInfo, input: TensorInfo, opts: InputDataOptions, random: (() => number) | undefined): PerfTensor {
  const shape = fullShape(model, dimsOf(input, opts), opts.batchSize);
  const n = elementCount(shape);
  return { name: input.name, datatype: input.datatype, shape, data: values(input.datatype, n, opts, random) };
}

function values(datatype: DataType, n: number, opts: InputDataOptions, random: (() => number) | undefined): Uint8Array {
  const r = random ?? (() => 0);
  if (datatype === 'BYTES') {
    const strings: string[] = [];
    for (let i = 0; i < n; i++) {
      if (opts.stringData !== undefined) strings.push(opts.stringData);
      else if (random === undefined) strings.push('0'.repeat(opts.stringLength));
      else {
        let s = '';
        for (let k = 0; k < opts.stringLength; k++) s += ALPHANUMERIC[Math.floor(r() * ALPHANUMERIC.length)];
        strings.push(s);
      }
    }
    return encodeBytesElements(strings);
  }
  if (datatype === 'FP16' || datatype === 'BF16') {
    const floats = Array.from({ length: n }, () => r());
    return datatype === 'FP16' ? encodeFp16(floats) : encodeBf16(floats);
  }
  const arr = new TYPED_ARRAYS[datatype](n);
  for (let i = 0; i < n; i++) {
    if (datatype === 'FP32' || datatype === 'FP64') (arr as Float32Array)[i] = r();
    else if (datatype === 'BOOL') (arr as Uint8Array)[i] = r() < 0.5 ? 0 : 1;
    // Small non-negative integers: valid for every integer type and for index-like inputs.
    else if (datatype === 'INT64' || datatype === 'UINT64') (arr as BigInt64Array)[i] = BigInt(Math.floor(r() * 100));
    else (arr as Int32Array)[i] = Math.floor(r() * 100);
  }
  return typedBytes(arr);
}

type JsonTensorValue = unknown[] | { content?: unknown[]; shape?: number[]; b64?: string };

function fromJsonFile(model: ModelInfo, opts: InputDataOptions): InputSet[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(opts.inputData, 'utf8'));
  } catch (err) {
    throw ServerError.invalidArg(`--input-data: cannot read '${opts.inputData}': ${(err as Error).message}`);
  }
  let entries = (parsed as { data?: unknown }).data;
  if (!Array.isArray(entries) || entries.length === 0) {
    throw ServerError.invalidArg(`--input-data: '${opts.inputData}' needs a non-empty "data" array`);
  }
  // Sequence files hold one list of steps per stream; without sequences every step is just a request.
  if (entries.every((e) => Array.isArray(e))) entries = (entries as unknown[][]).flat();
  return (entries as Record<string, JsonTensorValue>[]).map((entry, step) =>
    model.inputs.filter((input) => input.optional !== true || entry[input.name] !== undefined).map((input) => {
      const value = entry[input.name];
      if (value === undefined) throw ServerError.invalidArg(`--input-data: step ${step} has no data for input '${input.name}'`);
      return fromJsonValue(model, input, value, opts);
    }),
  );
}

/** One batch element from the file, repeated `-b` times (as perf_analyzer does for batch > 1). */
function fromJsonValue(model: ModelInfo, input: TensorInfo, value: JsonTensorValue, opts: InputDataOptions): PerfTensor {
  const content = Array.isArray(value) ? value : value.content;
  const dims = !Array.isArray(value) && value.shape !== undefined ? value.shape : dimsOf(input, opts);
  const n = elementCount(dims);
  let one: Uint8Array;
  if (!Array.isArray(value) && value.b64 !== undefined) {
    one = new Uint8Array(Buffer.from(value.b64, 'base64'));
  } else if (content !== undefined) {
    try {
      one = jsonDataToBytes(input.name, input.datatype, content, n);
    } catch (err) {
      throw ServerError.invalidArg(`--input-data: input '${input.name}': ${(err as Error).message}`);
    }
  } else {
    throw ServerError.invalidArg(`--input-data: input '${input.name}' needs a list, "content" or "b64"`);
  }
  const data = new Uint8Array(one.byteLength * opts.batchSize);
  for (let b = 0; b < opts.batchSize; b++) data.set(one, b * one.byteLength);
  return { name: input.name, datatype: input.datatype, shape: fullShape(model, dims, opts.batchSize), data };
}
