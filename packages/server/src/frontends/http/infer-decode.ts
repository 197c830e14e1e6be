/**
 * Infer request body (JSON header + optional binary blobs) -> InferenceRequestInit. Binary inputs are
 * views into the body (no copy). Checks and texts follow Triton's HTTP frontend in its order:
 * id, parameters, inputs (one at a time), leftover bytes, outputs.
 */
import { elementByteSize, elementCount, isDataType, jsonDataToBytes, JsonTensorError, type DataType } from '@inferd/protocol';
import {
  ServerError, shapeOverflow, withRequestId, type ExactDim, type RequestedOutput, type Tensor,
} from '../../core/index.js';
import {
  asBool, asString, asUint, has, isObject, memberArray, memberString, type JsonObject,
} from './json-access.js';
import { readRequestParameters, type RequestParameterFields } from './infer-params.js';
import { decodeWithShm } from '../common/infer-lifecycle.js';
import { shmTensors, type ShmContext, type ShmRegistries, type ShmTensorRef, type ShmTensors } from '../common/shm-tensors.js';

/** What the frontend needs to run and answer one infer request. */
export interface DecodedInfer {
  readonly id: string;
  readonly inputs: Tensor[];
  readonly outputs: RequestedOutput[] | undefined;
  readonly fields: RequestParameterFields;
  /** Per listed output: binary (true) or JSON (false). Unlisted outputs use `fields.binaryDataOutput`. */
  readonly binaryOutputs: Map<string, boolean> | undefined;
  /** Leases of shm inputs/outputs; the caller releases them once the request is answered. */
  readonly shm: ShmTensors | undefined;
}

/** The shm parameters of a tensor, or undefined when it names no region. */
function readShmRef(params: unknown): ShmTensorRef | undefined {
  if (!has(params, 'shared_memory_region')) return undefined;
  const p = params as JsonObject;
  const region = asString(p.shared_memory_region, "Unable to parse 'shared_memory_region'");
  const offset = has(p, 'shared_memory_offset') ? asUint(p.shared_memory_offset, "Unable to parse 'shared_memory_offset'") : 0;
  const byteSize = has(p, 'shared_memory_byte_size')
    ? asUint(p.shared_memory_byte_size, "Unable to parse 'shared_memory_byte_size'")
    : 0;
  return { region, offset, byteSize };
}

function checkContentFields(input: unknown): void {
  const params = isObject(input) ? input.parameters : undefined;
  const set: string[] = [];
  if (has(input, 'data')) set.push("'data'");
  if (has(params, 'binary_data_size')) set.push("'binary_data_size'");
  if (has(params, 'shared_memory_region')) set.push("'shared_memory_region'");
  if (set.length === 1) return;
  throw ServerError.invalidArg(
    "Input must set only one of the following fields: 'data', 'binary_data_size' in 'parameters', " +
      `'shared_memory_region' in 'parameters'. But${set.length === 0 ? ' no field is set' : ` set ${set.join(' ')}`}`,
  );
}

interface ReadShape {
  readonly shape: number[];
  /** The dims as sent, when one is past 2^53 (the parser keeps it as a bigint; `shape` rounds it). */
  readonly exact: readonly ExactDim[] | undefined;
}

function readShape(input: unknown): ReadShape {
  const raw = memberArray(input, 'shape', "Unable to parse 'shape'");
  const shape = new Array<number>(raw.length);
  let exact = false;
  for (let i = 0; i < raw.length; i++) {
    shape[i] = asUint(raw[i], "Unable to parse 'shape'");
    if (typeof raw[i] === 'bigint') exact = true;
  }
  return { shape, exact: exact ? (raw as ExactDim[]) : undefined };
}

function fromJsonTensorError(err: unknown): unknown {
  if (err instanceof JsonTensorError) return new ServerError(err.code, err.message);
  return err;
}

/** Cursor over the binary part of the body; blobs are taken in input order. */
interface Blobs {
  readonly bytes: Uint8Array;
  offset: number;
}

function readInput(input: unknown, blobs: Blobs, model: string, shm: ShmContext, id: string): Tensor {
  checkContentFields(input);
  const name = memberString(input, 'name', "Unable to parse 'name'");
  const datatypeText = memberString(input, 'datatype', "Unable to parse 'datatype'");
  const { shape, exact } = readShape(input);
  if (!isDataType(datatypeText)) throw ServerError.invalidArg(`invalid datatype for input ${name}`);
  const datatype: DataType = datatypeText;
  const params = (input as JsonObject).parameters;
  const elementSize = datatype === 'BYTES' ? 0 : elementByteSize(datatype);
  if (exact !== undefined && !has(input, 'data')) {
    // Request validation makes this check for binary and shm inputs too, but on the rounded dims: made
    // here (with its request-id prefix) while the dims the client sent are still known.
    const overflow = shapeOverflow(name, model, exact, elementSize);
    if (overflow !== undefined) throw ServerError.invalidArg(withRequestId(id, overflow));
  }
  if (has(params, 'binary_data_size')) {
    const size = asUint((params as JsonObject).binary_data_size, "Unable to parse 'binary_data_size'");
    const available = blobs.bytes.byteLength - blobs.offset;
    if (size > available) {
      throw ServerError.invalidArg(
        `unexpected size for input '${name}', expecting ${size - available} additional bytes for model '${model}'`,
      );
    }
    const data = blobs.bytes.subarray(blobs.offset, blobs.offset + size);
    blobs.offset += size;
    return { name, datatype, shape, data };
  }
  const ref = readShmRef(params);
  if (ref !== undefined) return { name, datatype, shape, data: shmTensors(shm, ref.region).readInput(ref) };
  // Before `data` is sized by the shape: a count past int64 is Triton's 400, not an allocation failure.
  const overflow = shapeOverflow(name, model, exact ?? shape, elementSize);
  if (overflow !== undefined) throw ServerError.invalidArg(overflow);
  try {
    const data = jsonDataToBytes(name, datatype, (input as JsonObject).data, elementCount(shape));
    return { name, datatype, shape, data };
  } catch (err) {
    throw fromJsonTensorError(err);
  }
}

function readOutputs(json: JsonObject, binaryOutputs: Map<string, boolean>, shm: ShmContext): RequestedOutput[] {
  const list = memberArray(json, 'outputs', "Unable to parse 'outputs'");
  const outputs: RequestedOutput[] = [];
  for (const output of list) {
    const params = isObject(output) ? output.parameters : undefined;
    if (has(params, 'shared_memory_region')) {
      const p = params as JsonObject;
      if (has(p, 'classification')) {
        throw ServerError.invalidArg("Output can't set both 'shared_memory_region' and 'classification'");
      }
      if (has(p, 'binary_data') && asBool(p.binary_data, "Unable to set 'binary_data'")) {
        throw ServerError.invalidArg("Output can't set both 'shared_memory_region' and 'binary_data'");
      }
    }
    const name = memberString(output, 'name', "Unable to parse 'name'");
    let classification = 0;
    if (has(params, 'classification')) {
      classification = asUint((params as JsonObject).classification, "Unable to set 'classification'");
    }
    const ref = readShmRef(params);
    if (ref !== undefined) shmTensors(shm, ref.region).bindOutput(name, ref);
    let binary = false;
    if (has(params, 'binary_data')) binary = asBool((params as JsonObject).binary_data, "Unable to parse 'binary_data'");
    binaryOutputs.set(name, binary);
    outputs.push(classification > 0 ? { name, classification } : { name });
  }
  return outputs;
}

/**
 * Decodes an infer request whose JSON header is `json` (already parsed) and whose binary blobs are
 * `binary` (a view into the body; empty when there is none). Shm tensors are leased from `memory`;
 * when decoding fails, those leases are released before the error propagates.
 */
export function decodeInferRequest(
  json: unknown, binary: Uint8Array, model: string, memory?: ShmRegistries,
): DecodedInfer {
  return decodeWithShm(memory, (shm) => decode(json, binary, model, shm));
}

/** Shared by every request without `parameters`; never mutated. */
const NO_PARAMETERS: RequestParameterFields = Object.freeze({ flags: 0, binaryDataOutput: false });

function decode(json: unknown, binary: Uint8Array, model: string, shm: ShmContext): DecodedInfer {
  let id = '';
  if (has(json, 'id')) id = asString((json as JsonObject).id, "Unable to parse 'id'");
  const fields = has(json, 'parameters')
    ? readRequestParameters((json as JsonObject).parameters)
    : NO_PARAMETERS;
  const list = memberArray(json, 'inputs', "Unable to parse 'inputs'");
  const blobs: Blobs = { bytes: binary, offset: 0 };
  const inputs = new Array<Tensor>(list.length);
  for (let i = 0; i < list.length; i++) inputs[i] = readInput(list[i], blobs, model, shm, id);
  if (blobs.offset !== binary.byteLength) {
    throw ServerError.invalidArg(`unexpected additional input data for model '${model}'`);
  }
  let outputs: RequestedOutput[] | undefined;
  let binaryOutputs: Map<string, boolean> | undefined;
  if (has(json, 'outputs')) {
    binaryOutputs = new Map();
    outputs = readOutputs(json as JsonObject, binaryOutputs, shm);
  }
  return { id, inputs, outputs, fields, binaryOutputs, shm: shm.tensors };
}
