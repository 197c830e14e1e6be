/**
 * ModelInferRequest -> InferenceRequestInit (spec §5.3): every input takes its bytes from typed
 * `contents` or from the next `raw_input_contents` entry (a view of the received message, no copy);
 * mixing both is refused. Requested outputs carry `classification` as an int64_param.
 */
import { isDataType, type pb } from '@inferd/protocol';
import { ServerError, type InferenceRequestInit, type RequestedOutput, type Tensor } from '../../core/index.js';
import { readRequestParameters } from './infer-params.js';
import { contentsToBytes } from './typed-contents.js';

export interface DecodedInfer {
  readonly init: Omit<InferenceRequestInit, 'signal'>;
  /** `triton_enable_empty_final_response` (ModelStreamInfer only). */
  readonly enableEmptyFinalResponse: boolean;
}

/** Client shared memory is disabled, so a named region never exists. */
function refuseSharedMemory(params: Readonly<Record<string, pb.InferParameter>>): void {
  const region = params.shared_memory_region;
  if (region === undefined) {
    if (params.shared_memory_offset !== undefined || params.shared_memory_byte_size !== undefined) {
      throw ServerError.invalidArg(
        "'shared_memory_offset' and 'shared_memory_byte_size' require 'shared_memory_region' to be specified",
      );
    }
    return;
  }
  if (region.parameter_choice !== 'string_param') {
    throw ServerError.invalidArg("invalid value type for 'shared_memory_region' parameter, expected string_param.");
  }
  throw ServerError.notFound(`Unable to find shared memory region: '${region.string_param}'`);
}

function decodeInputs(req: pb.ModelInferRequest): Tensor[] {
  const model = req.model_name;
  const raw = req.raw_input_contents;
  const inputs: Tensor[] = new Array(req.inputs.length);
  let next = 0;
  for (let i = 0; i < req.inputs.length; i++) {
    const io = req.inputs[i]!;
    refuseSharedMemory(io.parameters);
    if (!isDataType(io.datatype)) throw ServerError.invalidArg(`invalid datatype for input ${io.name}`);
    let data: Uint8Array;
    if (io.contents !== null && raw.length > 0) {
      throw ServerError.invalidArg(
        `contents field must not be specified when using raw_input_contents for '${io.name}' for model '${model}'`,
      );
    } else if (io.contents !== null) {
      data = contentsToBytes(io.name, model, io.datatype, io.contents);
    } else if (next < raw.length) {
      data = raw[next++]!;
    } else {
      throw ServerError.invalidArg(`unable to find data for input tensor '${io.name}' for model '${model}' in request.`);
    }
    const shape = new Array<number>(io.shape.length);
    for (let d = 0; d < shape.length; d++) shape[d] = Number(io.shape[d]);
    inputs[i] = { name: io.name, datatype: io.datatype, shape, data };
  }
  return inputs;
}

function decodeOutputs(req: pb.ModelInferRequest): RequestedOutput[] | undefined {
  if (req.outputs.length === 0) return undefined;
  return req.outputs.map((o) => {
    refuseSharedMemory(o.parameters);
    const c = o.parameters.classification;
    if (c === undefined) return { name: o.name };
    if (c.parameter_choice !== 'int64_param') {
      throw ServerError.invalidArg("invalid value type for 'classification' parameter, expected int64_param.");
    }
    const count = Number(c.int64_param);
    if (count < 0) throw ServerError.invalidArg("invalid value for 'classification' parameter, expected >= 0");
    return count === 0 ? { name: o.name } : { name: o.name, classification: count };
  });
}

export function decodeInferRequest(req: pb.ModelInferRequest): DecodedInfer {
  const f = readRequestParameters(req.parameters);
  const outputs = decodeOutputs(req);
  const init: Omit<InferenceRequestInit, 'signal'> = {
    modelName: req.model_name,
    modelVersion: req.model_version,
    id: req.id,
    inputs: decodeInputs(req),
    ...(outputs === undefined ? {} : { outputs }),
    ...(f.parameters === undefined ? {} : { parameters: f.parameters }),
    ...(f.priority === undefined ? {} : { priority: f.priority }),
    ...(f.timeoutUs === undefined ? {} : { timeoutUs: f.timeoutUs }),
    ...(f.correlationId === undefined ? {} : { correlationId: f.correlationId }),
    flags: f.flags,
  };
  return { init, enableEmptyFinalResponse: f.enableEmptyFinalResponse };
}
