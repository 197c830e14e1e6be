/**
 * An inference request as an HTTP body (spec §1.5, §2): the JSON header, then the binary inputs in the
 * order they are listed. Without binary inputs the body is the JSON alone.
 */
import { joinBinaryBody, tensorToJsonText } from '@inferd/protocol';
import type { InferInput } from '../infer-input.js';
import { shapeElements } from '../tensor-data.js';
import type { InferOptions, ParameterValue } from '../types.js';
import { requestParameters } from '../request-parameters.js';
import { RawJson } from './json-text.js';

export interface HttpInferBody {
  readonly body: Uint8Array;
  /** Inference-Header-Content-Length, undefined when the body is JSON only. */
  readonly headerLength: number | undefined;
}

function shmParameters(ref: { region: string; byteSize: number; offset: number }): Record<string, ParameterValue> {
  return { shared_memory_region: ref.region, shared_memory_byte_size: ref.byteSize, shared_memory_offset: ref.offset };
}

export function buildInferBody(inputs: readonly InferInput[], options: InferOptions): HttpInferBody {
  const raw = new RawJson();
  const blobs: Uint8Array[] = [];
  const jsonInputs = inputs.map((input) => {
    input.requireData();
    const entry: Record<string, unknown> = { name: input.name, shape: input.shape, datatype: input.datatype };
    const params: Record<string, unknown> = { ...input.parameters };
    const shm = input.sharedMemory;
    if (shm !== undefined) {
      Object.assign(params, shmParameters(shm));
    } else if (input.binary) {
      params.binary_data_size = input.bytes!.byteLength;
      blobs.push(input.bytes!);
    } else {
      entry.data = raw.raw(tensorToJsonText(input.name, input.datatype, input.bytes!, shapeElements(input.shape)));
    }
    if (Object.keys(params).length > 0) entry.parameters = params;
    return entry;
  });
  const header: Record<string, unknown> = {};
  if (options.requestId !== undefined && options.requestId !== '') header.id = options.requestId;
  const parameters: Record<string, unknown> = requestParameters(options);
  if (options.outputs !== undefined && options.outputs.length > 0) {
    header.outputs = options.outputs.map((o) => {
      const params: Record<string, unknown> = { ...o.parameters };
      const shm = o.sharedMemory;
      if (shm !== undefined) Object.assign(params, shmParameters(shm));
      else {
        if (o.classCount > 0) params.classification = o.classCount;
        params.binary_data = o.binary;
      }
      return { name: o.name, parameters: params };
    });
  } else {
    // As tritonclient: no outputs listed = every output, in binary form.
    parameters.binary_data_output = true;
  }
  if (Object.keys(parameters).length > 0) header.parameters = parameters;
  header.inputs = jsonInputs;
  const text = raw.stringify(header);
  if (blobs.length === 0) return { body: new TextEncoder().encode(text), headerLength: undefined };
  const joined = joinBinaryBody(text, blobs);
  return { body: joined.body, headerLength: joined.headerLength };
}
