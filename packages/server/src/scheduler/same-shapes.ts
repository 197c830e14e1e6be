/**
 * Whether two requests can share one execution: the same inputs with the same shapes apart from the
 * batch dim, except inputs with allow_ragged_batch. Used by the dynamic batcher to stop growing a batch
 * and by the sequence batcher to hold a slot's request for a later execution (Triton gives that slot a
 * not-ready dummy instead).
 */
import type { InferenceRequest } from '../core/index.js';

export function sameShapes(a: InferenceRequest, b: InferenceRequest, ragged: ReadonlySet<string>): boolean {
  if (a.inputs.length !== b.inputs.length) return false;
  for (const t of a.inputs) {
    const u = b.input(t.name);
    if (u === undefined) return false;
    if (ragged.has(t.name)) continue;
    if (u.shape.length !== t.shape.length) return false;
    for (let i = 1; i < t.shape.length; i++) if (u.shape[i] !== t.shape[i]) return false;
  }
  return true;
}
