/**
 * InferInputs + options -> ModelInferRequest, and ModelInferResponse -> InferResult (spec §5.3).
 * Inputs go in `raw_input_contents` unless every data input asked for `binary: false` (typed contents:
 * the server refuses a mix of the two).
 */
import { isDataType, type pb } from '@inferd/protocol';
import type { InferInput, SharedMemoryRef } from '../infer-input.js';
import { InferResult, type ResultTensor } from '../infer-result.js';
import type { InferOptions } from '../types.js';
import { requestParameters } from '../request-parameters.js';
import { fromInferParameters, toInferParameter } from './parameters.js';
import { fromContents, toContents } from './typed-contents.js';

function shmParameters(ref: SharedMemoryRef): Record<string, pb.InferParameterInit> {
  return {
    shared_memory_region: { string_param: ref.region },
    shared_memory_byte_size: { int64_param: ref.byteSize },
    shared_memory_offset: { int64_param: ref.offset },
  };
}

function parameterMap(values: Readonly<Record<string, string | number | boolean | bigint>>): Record<string, pb.InferParameterInit> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, toInferParameter(v)]));
}

export interface GrpcInferOptions extends InferOptions {
  /** Streams: ask for a flag-only empty final response of decoupled models. */
  readonly enableEmptyFinalResponse?: boolean;
}

export function buildInferRequest(model: string, inputs: readonly InferInput[], options: GrpcInferOptions): pb.ModelInferRequestInit {
  for (const input of inputs) input.requireData();
  const dataInputs = inputs.filter((i) => i.sharedMemory === undefined);
  const typed = dataInputs.length > 0 && dataInputs.every((i) => !i.binary);
  const raw: Uint8Array[] = [];
  const tensors = inputs.map((input): pb.ModelInferRequest_InferInputTensorInit => {
    const t: pb.ModelInferRequest_InferInputTensorInit = {
      name: input.name, datatype: input.datatype, shape: [...input.shape], parameters: parameterMap(input.parameters),
    };
    const shm = input.sharedMemory;
    if (shm !== undefined) Object.assign(t.parameters!, shmParameters(shm));
    else if (typed) t.contents = toContents(input.datatype, input.bytes!);
    else raw.push(input.bytes!);
    return t;
  });
  const params = requestParameters(options);
  // tritonclient sends the priority as uint64_param (int64 is accepted too).
  const parameters = parameterMap(params);
  if (params.priority !== undefined) parameters.priority = { uint64_param: String(params.priority) };
  if (options.enableEmptyFinalResponse) parameters.triton_enable_empty_final_response = { bool_param: true };
  const request: pb.ModelInferRequestInit = {
    model_name: model,
    model_version: options.version === undefined ? '' : String(options.version),
    id: options.requestId ?? '',
    parameters,
    inputs: tensors,
    raw_input_contents: raw,
  };
  if (options.outputs !== undefined) {
    request.outputs = options.outputs.map((o) => {
      const p = parameterMap(o.parameters);
      const shm = o.sharedMemory;
      if (shm !== undefined) Object.assign(p, shmParameters(shm));
      else if (o.classCount > 0) p.classification = { int64_param: o.classCount };
      return { name: o.name, parameters: p };
    });
  }
  return request;
}

/** Names of the requested outputs that go to shared memory. */
export function shmOutputNames(options: InferOptions): Set<string> {
  return new Set((options.outputs ?? []).filter((o) => o.sharedMemory !== undefined).map((o) => o.name));
}

/** `shmOutputs`: outputs the request placed in shared memory (their raw entry is empty, not data). */
export function parseInferResponse(
  res: pb.ModelInferResponse, shmOutputs: ReadonlySet<string>, final?: boolean,
): InferResult<pb.ModelInferResponse> {
  const outputs = res.outputs.map((o, i): ResultTensor => {
    const shape = o.shape.map(Number);
    const parameters = fromInferParameters(o.parameters);
    const raw = res.raw_output_contents[i];
    const base = { name: o.name, datatype: o.datatype, shape, parameters };
    if (shmOutputs.has(o.name)) return base;
    if (raw !== undefined && (raw.byteLength > 0 || o.contents === null)) {
      return { ...base, bytes: new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength) };
    }
    if (o.contents !== null && isDataType(o.datatype)) return { ...base, bytes: fromContents(o.datatype, o.contents) };
    return { ...base, bytes: new Uint8Array(0) };
  });
  return new InferResult({
    id: res.id,
    modelName: res.model_name,
    modelVersion: res.model_version,
    parameters: fromInferParameters(res.parameters),
    outputs,
    raw: res,
    ...(final === undefined ? {} : { final }),
  });
}
