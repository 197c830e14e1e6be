/**
 * Implicit state (spec §12, ModelSequenceBatching.State): which output feeds which input, and the tensor
 * a sequence's first request gets. `initial_state` is `zero_data` or the raw little-endian bytes of
 * `<model>/initial_state/<data_file>` (Triton's layout); variable dims count as 1. A state without
 * `initial_state` starts as zeros too (Triton leaves it unspecified), so a first request is deterministic.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataTypeFromConfig, elementByteSize, type DataType } from '@inferd/protocol';
import type { ModelSequenceBatching, SequenceState } from '../../config/types.js';
import { ServerError, type Tensor } from '../../core/index.js';

export interface ImplicitState {
  readonly inputName: string;
  readonly outputName: string;
  readonly datatype: DataType;
  /** The first request's state input, shaped for one request (batch dim 1 when the model batches). */
  readonly initial: Tensor;
}

function initialBytes(state: SequenceState, datatype: DataType, dims: readonly number[], modelDir: string): Uint8Array {
  const count = dims.reduce((n, d) => n * d, 1);
  // BYTES zeros are empty elements: one zero uint32 length prefix each.
  const size = datatype === 'BYTES' ? 4 * count : count * elementByteSize(datatype);
  const file = state.initial_state?.[0]?.data_file;
  if (file === undefined || state.initial_state?.[0]?.zero_data === true) return new Uint8Array(size);
  const bytes = readFileSync(join(modelDir, 'initial_state', file));
  if (datatype === 'BYTES') return new Uint8Array(bytes);
  if (bytes.byteLength < size) {
    throw ServerError.invalidArg(
      `initial_state setting expects ${size} bytes, but the data provided from ${file} only has ${bytes.byteLength} bytes.`,
    );
  }
  return new Uint8Array(bytes.subarray(0, size));
}

function implicitState(state: SequenceState, modelDir: string, batching: boolean): ImplicitState {
  const inputName = state.input_name ?? '';
  const datatype = dataTypeFromConfig(state.data_type ?? 'TYPE_INVALID');
  if (datatype === undefined) throw ServerError.invalidArg(`state '${inputName}' must specify 'data_type'`);
  const initials = state.initial_state ?? [];
  if (initials.length > 1) {
    throw ServerError.invalidArg(
      `initial_state field for state input '${inputName}' must contain exactly one or zero element. Found '${initials.length}' elements.`,
    );
  }
  const initial = initials[0];
  if (initial !== undefined && (initial.data_type ?? state.data_type) !== state.data_type) {
    throw ServerError.invalidArg(`The data type used for 'initial_state' field of state '${inputName}' does not match the state data type.`);
  }
  const dims = ((initial?.dims?.length ?? 0) > 0 ? initial!.dims! : state.dims ?? []).map((d) => (d < 0 ? 1 : d));
  const data = initialBytes(state, datatype, dims, modelDir);
  return {
    inputName,
    outputName: state.output_name ?? '',
    datatype,
    initial: { name: inputName, datatype, shape: batching ? [1, ...dims] : dims, data },
  };
}

/** Reads every state's initial tensor once, at load; a bad initial_state fails the load. */
export function loadImplicitStates(batcher: ModelSequenceBatching, modelDir: string, batching: boolean): ImplicitState[] {
  return (batcher.state ?? []).map((s) => implicitState(s, modelDir, batching));
}
