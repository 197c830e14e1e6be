/**
 * Building the feeds of one execution: each input of all requests concatenated along the batch dim
 * (one copy per input), config `reshape` applied (the shape the model sees).
 */
import type { InferenceRequest } from '../../core/index.js';
import { product, resolveDims } from './dims.js';
import type { OrtType, WireTensor } from './types.js';

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
    if (single && (inPlace || ownsWholeBuffer(first.data))) {
      // Inline: no copy at all. Posted: by structured clone, the one unavoidable copy happens there, none here.
      data = first.data;
    } else {
      data = single ? new Uint8Array(first.data) : concat(group.map((r) => r.input(plan.name)!.data));
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

/** A view spanning a whole ordinary ArrayBuffer from offset 0 (so the worker gets aligned data). */
function ownsWholeBuffer(view: Uint8Array): boolean {
  return view.buffer instanceof ArrayBuffer && view.byteOffset === 0 && view.byteLength === view.buffer.byteLength;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.byteLength;
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}
