/**
 * One repeat request's inputs, copied out of the request (responses outlive `execute`, as in Triton's
 * example where the request is released before the sender thread is done).
 */
import { ServerError, type InferenceRequest, type Tensor } from '../../core/index.js';

export interface RepeatJob {
  /** IN: one response per element, OUT = the element. */
  readonly values: readonly number[];
  /** DELAY: ms to wait before each response (0 when DELAY is absent). */
  readonly delays: readonly number[];
  /** WAIT: ms `execute` holds the request (and the instance) before returning. */
  readonly waitMs: number;
}

function view(t: Tensor): DataView {
  return new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

function int32s(t: Tensor): number[] {
  const v = view(t);
  return Array.from({ length: v.byteLength >>> 2 }, (_, i) => v.getInt32(i * 4, true));
}

function uint32s(t: Tensor): number[] {
  const v = view(t);
  return Array.from({ length: v.byteLength >>> 2 }, (_, i) => v.getUint32(i * 4, true));
}

const shapeText = (shape: readonly number[]): string => `[${shape.join(',')}]`;

/** Throws INVALID_ARG (answered as this request's only response) when the inputs do not fit together. */
export function readRepeatJob(request: InferenceRequest): RepeatJob {
  const wait = request.input('WAIT');
  let waitMs = 0;
  if (wait !== undefined) {
    if (wait.data.byteLength !== 4) throw ServerError.invalidArg('unexpected size for WAIT input');
    waitMs = view(wait).getUint32(0, true);
  }
  const inp = request.input('IN');
  if (inp === undefined) throw ServerError.invalidArg("repeat backend needs input 'IN'");
  const values = int32s(inp);
  const delay = request.input('DELAY');
  if (delay === undefined) return { values, delays: values.map(() => 0), waitMs };
  // The config allows [-1] for both, so equal shapes can only be checked per request.
  if (shapeText(delay.shape) !== shapeText(inp.shape)) {
    throw ServerError.invalidArg(
      `expected IN and DELAY shape to match, got ${shapeText(inp.shape)} and ${shapeText(delay.shape)}`,
    );
  }
  return { values, delays: uint32s(delay), waitMs };
}
