/**
 * Building the feeds of one execution: each input of all requests concatenated along the batch dim
 * (one copy per input), config `reshape` applied (the shape the model sees).
 */
import type { InferenceRequest } from '../../core/index.js';
import { product, resolveDims } from './dims.js';
import { ortElementSize, type OrtType, type WireTensor } from './types.js';

export interface InputPlan {
  readonly name: string;
  readonly ortType: OrtType;
  /** Config `reshape.shape` (without batch dim), when set. */
  readonly reshape: readonly number[] | undefined;
  /**
   * The model takes a scalar (rank 0) and the model does not batch: config dims are all 1 (Triton's
   * rule), and the one element is fed with shape [] as Triton's ORT backend does.
   */
  readonly scalar?: boolean;
  /**
   * Config `allow_ragged_batch`: the model takes the batch as one 1-D tensor, every request's elements
   * one after another (Triton's ragged input), whatever the requests' shapes.
   */
  readonly ragged?: boolean;
}

export interface GatheredFeeds {
  readonly feeds: WireTensor[];
  /** Fresh buffers to move to the worker instead of copying them again. */
  readonly transfer: ArrayBuffer[];
}

/**
 * Requests that can share one run: same non-batch shape (ragged inputs excepted) and the same inputs
 * present. The dynamic batcher already groups them so; this keeps mixed lists correct anyway.
 */
export function groupForRun(
  requests: readonly InferenceRequest[], plans: readonly InputPlan[], batching: boolean,
): InferenceRequest[][] {
  if (!batching) return requests.map((r) => [r]);
  const groups = new Map<string, InferenceRequest[]>();
  for (const r of requests) {
    const key = plans.map((p) => {
      const t = r.input(p.name);
      if (t === undefined) return '-';
      return p.ragged === true ? '*' : t.shape.slice(1).join('x');
    }).join('|');
    const g = groups.get(key);
    if (g === undefined) groups.set(key, [r]);
    else g.push(r);
  }
  return [...groups.values()];
}

/**
 * `inPlace`: the feeds are used on this thread (inline session), so a single request's input is fed as
 * the view it is, with no copy for a transfer.
 */
export function gatherFeeds(
  group: readonly InferenceRequest[], plans: readonly InputPlan[], batching: boolean, inPlace = false,
): GatheredFeeds {
  const feeds: WireTensor[] = [];
  const transfer: ArrayBuffer[] = [];
  const single = group.length === 1;
  for (const plan of plans) {
    const first = group[0]?.input(plan.name);
    // An absent optional input is left out of the feed; ORT then uses the initializer default.
    if (first === undefined) continue;
    let data: Uint8Array;
    if (single && inPlace) {
      // Inline: no copy at all.
      data = first.data;
    } else if (single && movable(group[0]!, first.data, plan.ortType)) {
      // The request's own buffer (frontend-allocated for it alone): moved to the thread, never copied.
      data = first.data;
      if (!transfer.includes(data.buffer as ArrayBuffer)) transfer.push(data.buffer as ArrayBuffer);
    } else if (single && ownsWholeBuffer(first.data)) {
      // Not ours to detach: structured clone makes the one unavoidable copy, none here.
      data = first.data;
    } else {
      data = single ? copyOf(first.data) : concat(group.map((r) => r.input(plan.name)!.data));
      transfer.push(data.buffer as ArrayBuffer);
    }
    let dims: number[];
    if (plan.ragged === true) {
      let elements = 0;
      for (const r of group) elements += product(r.input(plan.name)!.shape);
      dims = [elements];
    } else if (batching) {
      let batch = 0;
      for (const r of group) batch += r.input(plan.name)!.shape[0]!;
      const row = first.shape.slice(1);
      dims = plan.reshape === undefined ? [batch, ...row] : [batch, ...resolveDims(plan.reshape, product(row), row)];
    } else if (plan.scalar === true) {
      dims = [];
    } else {
      dims = plan.reshape === undefined ? [...first.shape] : resolveDims(plan.reshape, product(first.shape), first.shape);
    }
    feeds.push({ name: plan.name, type: plan.ortType, dims, data });
  }
  return { feeds, transfer };
}

/**
 * The request owns the view's ArrayBuffer (InferenceRequest.ownsBuffer: listed by the frontend, which
 * never lists a pooled or shared one) and the view is aligned for its element type, so the thread can
 * use it as it is. Other views into the same buffer (the request's other inputs) travel with it.
 */
function movable(request: InferenceRequest, view: Uint8Array, type: OrtType): boolean {
  return request.ownsBuffer(view.buffer) && view.byteOffset % alignmentOf(type) === 0;
}

function alignmentOf(type: OrtType): number {
  return type === 'string' ? 1 : ortElementSize(type);
}

/** A view spanning a whole ordinary ArrayBuffer from offset 0 (so the worker gets aligned data). */
function ownsWholeBuffer(view: Uint8Array): boolean {
  return view.buffer instanceof ArrayBuffer && view.byteOffset === 0 && view.byteLength === view.buffer.byteLength;
}

/** A copy in an ArrayBuffer of its own, not zero-filled first (every byte is overwritten). */
function copyOf(view: Uint8Array): Uint8Array {
  const out = fresh(view.byteLength);
  out.set(view);
  return out;
}

/** `bytes` in a new, unpooled ArrayBuffer from offset 0 (allocUnsafeSlow: no zero-fill, never Node's pool). */
function fresh(bytes: number): Uint8Array {
  return new Uint8Array(Buffer.allocUnsafeSlow(bytes).buffer, 0, bytes);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.byteLength;
  const out = fresh(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}
