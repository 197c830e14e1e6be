/**
 * InferenceResponse -> HTTP body: the JSON header, written as text (tensor data never goes through a
 * JSON object), then the blobs of binary outputs in response order (spec §2).
 */
import { bytesTensorToJson, elementCount, JsonTensorError, tensorToJsonText } from '@inferd/protocol';
import { ServerError, type InferenceResponse, type Parameters } from '../../core/index.js';

export interface EncodedInfer {
  /**
   * The JSON header (the whole body when `blobs` is empty): text, or bytes when a BYTES output with
   * elements that are not UTF-8 went out as JSON (their bytes are written unchanged, as Triton does).
   */
  readonly json: string | Buffer;
  /** Non-empty blobs of binary outputs, in output order. */
  readonly blobs: Uint8Array[];
}

function renderParameters(params: Parameters): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) parts.push(`${JSON.stringify(k)}:${JSON.stringify(v)}`);
  return `{${parts.join(',')}}`;
}

/**
 * `binaryOutputs` holds the kind of each output the request listed; others use `defaultBinary`.
 * Throws ServerError for outputs that cannot be written as JSON (FP16/BF16). Outputs `shmOutputs`
 * holds are written without data.
 */
export function encodeInferResponse(
  response: InferenceResponse,
  binaryOutputs: ReadonlyMap<string, boolean> | undefined,
  defaultBinary: boolean,
  shmOutputs?: { isOutput(name: string): boolean },
): EncodedInfer {
  let json = response.id === '' ? '{' : `{"id":${JSON.stringify(response.id)},`;
  json += `"model_name":${JSON.stringify(response.modelName)},"model_version":${JSON.stringify(response.modelVersion)}`;
  if (response.parameters !== undefined && Object.keys(response.parameters).length > 0) {
    json += `,"parameters":${renderParameters(response.parameters)}`;
  }
  json += ',"outputs":[';
  const blobs: Uint8Array[] = [];
  // Set once a BYTES output had to be written as raw bytes: the header is then assembled as bytes.
  let raw: Uint8Array[] | undefined;
  const outputs = response.outputs;
  for (let i = 0; i < outputs.length; i++) {
    const t = outputs[i]!;
    if (i > 0) json += ',';
    json += `{"name":${JSON.stringify(t.name)},"datatype":"${t.datatype}","shape":[${t.shape.join(',')}]`;
    // Shm outputs were written into their region: the response names them and carries no data.
    if (shmOutputs?.isOutput(t.name) === true) {
      json += '}';
      continue;
    }
    if (binaryOutputs?.get(t.name) ?? defaultBinary) {
      json += `,"parameters":{"binary_data_size":${t.data.byteLength}}}`;
      if (t.data.byteLength > 0) blobs.push(t.data);
      continue;
    }
    let data: string | Uint8Array;
    try {
      const count = elementCount(t.shape);
      data = t.datatype === 'BYTES' ? bytesTensorToJson(t.name, t.data, count) : tensorToJsonText(t.name, t.datatype, t.data, count);
    } catch (err) {
      if (err instanceof JsonTensorError) throw new ServerError(err.code, err.message);
      throw err;
    }
    if (typeof data === 'string') {
      json += `,"data":${data}}`;
      continue;
    }
    (raw ??= []).push(Buffer.from(`${json},"data":`), data);
    json = '}';
  }
  json += ']}';
  if (raw === undefined) return { json, blobs };
  raw.push(Buffer.from(json));
  return { json: Buffer.concat(raw), blobs };
}
