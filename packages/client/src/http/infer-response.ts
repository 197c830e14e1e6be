/** An HTTP inference response body -> InferResult: the JSON header, binary outputs sliced in order (spec §2). */
import { splitBinaryBody } from '@inferd/protocol';
import { InferenceServerError, GRPC_CODE } from '../errors.js';
import { InferResult, type ResultTensor } from '../infer-result.js';

/** The JSON header of an HTTP inference response. */
export interface HttpInferResponse {
  readonly id?: string;
  readonly model_name: string;
  readonly model_version: string;
  readonly parameters?: Record<string, unknown>;
  readonly outputs?: Array<{
    name: string;
    datatype: string;
    shape: number[];
    parameters?: Record<string, unknown>;
    data?: unknown;
  }>;
}

function malformed(message: string): InferenceServerError {
  return new InferenceServerError(`malformed inference response: ${message}`, { code: GRPC_CODE.INTERNAL });
}

export function parseInferResponse(body: Uint8Array, headerLength: number | undefined): InferResult<HttpInferResponse> {
  let header: Uint8Array;
  let binary: Uint8Array;
  try {
    ({ header, binary } = splitBinaryBody(body, headerLength ?? body.byteLength));
  } catch (err) {
    throw malformed((err as Error).message);
  }
  let json: HttpInferResponse;
  try {
    json = JSON.parse(new TextDecoder().decode(header)) as HttpInferResponse;
  } catch (err) {
    throw malformed((err as Error).message);
  }
  let offset = 0;
  const outputs: ResultTensor[] = (json.outputs ?? []).map((o) => {
    const parameters = o.parameters ?? {};
    const size = parameters.binary_data_size;
    if (typeof size === 'number') {
      if (offset + size > binary.byteLength) throw malformed(`output '${o.name}' needs ${size} bytes past the body's end`);
      const bytes = binary.subarray(offset, offset + size);
      offset += size;
      return { name: o.name, datatype: o.datatype, shape: o.shape, parameters, bytes };
    }
    return { name: o.name, datatype: o.datatype, shape: o.shape, parameters, ...(o.data === undefined ? {} : { json: o.data }) };
  });
  return new InferResult({
    id: json.id ?? '',
    modelName: json.model_name,
    modelVersion: json.model_version,
    parameters: json.parameters ?? {},
    outputs,
    raw: json,
  });
}
