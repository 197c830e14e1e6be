/**
 * ModelInferRequest -> InferenceRequestInit (spec §5.3): every input takes its bytes from typed
 * `contents` or from the next `raw_input_contents` entry (a view of the received message, no copy);
 * mixing both is refused. Requested outputs carry `classification` as an int64_param.
 */
import { elementByteSize, isDataType, type pb } from '@inferd/protocol';
import {
  ServerError, shapeOverflow, withRequestId, type CancelSignal, type InferenceRequestInit, type RequestedOutput, type Tensor,
} from '../../core/index.js';
import { decodeWithShm } from '../common/infer-lifecycle.js';
import { shmTensors, type ShmContext, type ShmRegistries, type ShmTensorRef, type ShmTensors } from '../common/shm-tensors.js';
import { readRequestParameters } from './infer-params.js';
import { isOwnMessageBuffer } from './message-assembler.js';
import { contentsToBytes } from './typed-contents.js';

export interface DecodedInfer {
  /** Carries the signal given to decodeInferRequest (streams add their own). */
  readonly init: InferenceRequestInit;
  /** `triton_enable_empty_final_response` (ModelStreamInfer only). */
  readonly enableEmptyFinalResponse: boolean;
  /** Leases of shm inputs/outputs; the caller releases them once the request is answered. */
  readonly shm: ShmTensors | undefined;
}

function int64Param(key: string, p: pb.InferParameter): number {
  if (p.parameter_choice !== 'int64_param') {
    throw ServerError.invalidArg(`invalid value type for '${key}' parameter, expected int64_param.`);
  }
  return Number(p.int64_param);
}

/** The shm parameters of a tensor (spec §5.3), or undefined when it names no region. */
function readShmRef(params: Readonly<Record<string, pb.InferParameter>>): ShmTensorRef | undefined {
  const region = params.shared_memory_region;
  const offset = params.shared_memory_offset;
  const size = params.shared_memory_byte_size;
  if (region === undefined) {
    if (offset !== undefined || size !== undefined) {
      throw ServerError.invalidArg(
        "'shared_memory_offset' and 'shared_memory_byte_size' require 'shared_memory_region' to be specified",
      );
    }
    return undefined;
  }
  if (region.parameter_choice !== 'string_param') {
    throw ServerError.invalidArg("invalid value type for 'shared_memory_region' parameter, expected string_param.");
  }
  return {
    region: region.string_param!,
    offset: offset === undefined ? 0 : int64Param('shared_memory_offset', offset),
    byteSize: size === undefined ? 0 : int64Param('shared_memory_byte_size', size),
  };
}

/**
 * A shape with a dim past 2^53: request validation checks its element count and byte size on the
 * rounded numbers, and would print those; checked here on the int64 values the client sent (same text,
 * same request-id prefix). Negative dims are left to validation's own "invalid shape" text.
 */
function checkExactShape(req: pb.ModelInferRequest, io: pb.ModelInferRequest_InferInputTensor, shape: readonly number[]): void {
  if (shape.some((d) => d < 0) || !isDataType(io.datatype)) return;
  const dims = io.shape.map((d) => BigInt(String(d)));
  const overflow = shapeOverflow(io.name, req.model_name, dims, io.datatype === 'BYTES' ? 0 : elementByteSize(io.datatype));
  if (overflow !== undefined) throw ServerError.invalidArg(withRequestId(req.id, overflow));
}

function decodeInputs(req: pb.ModelInferRequest, shm: ShmContext): Tensor[] {
  const model = req.model_name;
  const raw = req.raw_input_contents;
  const inputs: Tensor[] = new Array(req.inputs.length);
  let next = 0;
  for (let i = 0; i < req.inputs.length; i++) {
    const io = req.inputs[i]!;
    const ref = readShmRef(io.parameters);
    if (!isDataType(io.datatype)) throw ServerError.invalidArg(`invalid datatype for input ${io.name}`);
    let data: Uint8Array;
    // Shm inputs take no raw_input_contents entry: the index advances only over the others.
    if (ref !== undefined) {
      data = shmTensors(shm, ref.region).readInput(ref);
    } else if (io.contents !== null && raw.length > 0) {
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
    let exact = false;
    for (let d = 0; d < shape.length; d++) {
      shape[d] = Number(io.shape[d]);
      if (shape[d]! > Number.MAX_SAFE_INTEGER) exact = true;
    }
    if (exact) checkExactShape(req, io, shape);
    inputs[i] = { name: io.name, datatype: io.datatype, shape, data };
  }
  return inputs;
}

function decodeOutput(o: pb.ModelInferRequest_InferRequestedOutputTensor, shm: ShmContext): RequestedOutput {
  const ref = readShmRef(o.parameters);
  const c = o.parameters.classification;
  if (ref !== undefined) {
    if (c !== undefined) throw ServerError.invalidArg("output can't set both 'shared_memory_region' and 'classification'");
    shmTensors(shm, ref.region).bindOutput(o.name, ref);
  }
  if (c === undefined) return { name: o.name };
  if (c.parameter_choice !== 'int64_param') {
    throw ServerError.invalidArg("invalid value type for 'classification' parameter, expected int64_param.");
  }
  const count = Number(c.int64_param);
  if (count < 0) throw ServerError.invalidArg("invalid value for 'classification' parameter, expected >= 0");
  return count === 0 ? { name: o.name } : { name: o.name, classification: count };
}

function decodeOutputs(req: pb.ModelInferRequest, shm: ShmContext): RequestedOutput[] | undefined {
  const n = req.outputs.length;
  if (n === 0) return undefined;
  const outputs = new Array<RequestedOutput>(n);
  for (let i = 0; i < n; i++) outputs[i] = decodeOutput(req.outputs[i]!, shm);
  return outputs;
}

/** Shm tensors are leased from `memory`; when decoding fails, those leases are released. */
export function decodeInferRequest(
  req: pb.ModelInferRequest, memory?: ShmRegistries, signal?: CancelSignal,
): DecodedInfer {
  return decodeWithShm(memory, (shm) => decode(req, shm, signal));
}

/**
 * What a backend may detach (InferenceRequestInit `ownedBuffers`): the received message when the
 * assembler gave it a buffer of its own (raw_input_contents are views into it; nothing reads them after
 * decoding: replies are built from the response) and large shm inputs read for this request alone.
 */
function ownedBuffers(req: pb.ModelInferRequest, shm: ShmContext): ArrayBuffer[] | undefined {
  const first = req.raw_input_contents[0];
  const fromShm = shm.tensors?.ownedBuffers;
  const message = first !== undefined && first.buffer instanceof ArrayBuffer && isOwnMessageBuffer(first.buffer);
  if (!message && (fromShm === undefined || fromShm.length === 0)) return undefined;
  const owned = message ? [first.buffer as ArrayBuffer] : [];
  if (fromShm !== undefined) owned.push(...fromShm);
  return owned;
}

function decode(req: pb.ModelInferRequest, shm: ShmContext, signal: CancelSignal | undefined): DecodedInfer {
  const f = readRequestParameters(req.parameters);
  const outputs = decodeOutputs(req, shm);
  const inputs = decodeInputs(req, shm);
  // One object literal of fixed shape (no spreads): absent fields are undefined, which core treats as
  // omitted.
  const init: InferenceRequestInit = {
    modelName: req.model_name,
    modelVersion: req.model_version,
    id: req.id,
    inputs,
    outputs,
    parameters: f.parameters,
    priority: f.priority,
    timeoutUs: f.timeoutUs,
    correlationId: f.correlationId,
    flags: f.flags,
    signal,
    ownedBuffers: ownedBuffers(req, shm),
  };
  return { init, enableEmptyFinalResponse: f.enableEmptyFinalResponse, shm: shm.tensors };
}
