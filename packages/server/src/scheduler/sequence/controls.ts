/**
 * The control tensors the sequence batcher injects (spec §12, ModelSequenceBatching.Control): START,
 * END and READY carry the configured false/true value in INT32, FP32 or BOOL; CORRID carries the
 * correlation id. Every request gets its own one-element tensors ([1], or [1, 1] with the batch dim when
 * the model batches), so a batch of ready requests concatenates into one element per batch slot.
 */
import { dataTypeFromConfig, type DataType } from '@inferd/protocol';
import type { ModelSequenceBatching, SequenceControl } from '../../config/types.js';
import { REQUEST_FLAG_SEQUENCE_END, REQUEST_FLAG_SEQUENCE_START, ServerError, type Tensor } from '../../core/index.js';
import { encodeCorrelationId, type CorrelationId } from './correlation.js';

type BooleanKind = 'CONTROL_SEQUENCE_START' | 'CONTROL_SEQUENCE_END' | 'CONTROL_SEQUENCE_READY';

interface BooleanControl {
  readonly name: string;
  readonly kind: BooleanKind;
  readonly datatype: DataType;
  /** Encoded false and true values (one element each); shared by every request, never written. */
  readonly values: readonly [Uint8Array, Uint8Array];
}

export interface CorridControl {
  readonly name: string;
  readonly datatype: DataType;
}

function encodeBoolean(control: SequenceControl): { datatype: DataType; values: [Uint8Array, Uint8Array] } {
  if ((control.int32_false_true?.length ?? 0) === 2) {
    const [f, t] = control.int32_false_true!;
    return { datatype: 'INT32', values: [new Uint8Array(new Int32Array([f!]).buffer), new Uint8Array(new Int32Array([t!]).buffer)] };
  }
  if ((control.fp32_false_true?.length ?? 0) === 2) {
    const [f, t] = control.fp32_false_true!;
    return { datatype: 'FP32', values: [new Uint8Array(new Float32Array([f!]).buffer), new Uint8Array(new Float32Array([t!]).buffer)] };
  }
  // Config validation guarantees exactly one list of two entries; bool_false_true is what is left.
  const [f, t] = control.bool_false_true ?? [false, true];
  return { datatype: 'BOOL', values: [Uint8Array.of(f ? 1 : 0), Uint8Array.of(t ? 1 : 0)] };
}

export class SequenceControls {
  readonly #booleans: BooleanControl[] = [];
  readonly corrid: CorridControl | undefined;
  /** Shape of every control tensor: the batch dim (1 request = 1 row) when the model batches. */
  readonly #shape: readonly number[];

  constructor(batcher: ModelSequenceBatching, batching: boolean) {
    this.#shape = batching ? [1, 1] : [1];
    let corrid: CorridControl | undefined;
    for (const input of batcher.control_input ?? []) {
      const name = input.name ?? '';
      for (const control of input.control ?? []) {
        const kind = control.kind ?? 'CONTROL_SEQUENCE_START';
        if (kind === 'CONTROL_SEQUENCE_CORRID') {
          const datatype = dataTypeFromConfig(control.data_type ?? 'TYPE_INVALID');
          if (datatype === undefined) throw ServerError.invalidArg(`control input '${name}' has no valid data type`);
          corrid = { name, datatype };
        } else {
          this.#booleans.push({ name, kind, ...encodeBoolean(control) });
        }
      }
    }
    this.corrid = corrid;
  }

  /** The control inputs of one request: READY is always true (only ready requests are executed). */
  tensors(flags: number, id: CorrelationId): Tensor[] {
    const out: Tensor[] = [];
    for (const c of this.#booleans) {
      let on = true;
      if (c.kind === 'CONTROL_SEQUENCE_START') on = (flags & REQUEST_FLAG_SEQUENCE_START) !== 0;
      else if (c.kind === 'CONTROL_SEQUENCE_END') on = (flags & REQUEST_FLAG_SEQUENCE_END) !== 0;
      out.push({ name: c.name, datatype: c.datatype, shape: this.#shape, data: c.values[on ? 1 : 0] });
    }
    if (this.corrid !== undefined) {
      const { name, datatype } = this.corrid;
      out.push({ name, datatype, shape: this.#shape, data: encodeCorrelationId(datatype, id) });
    }
    return out;
  }
}
