/**
 * The tensors one data flow of an ensemble request has produced. A request starts with one lineage
 * (its inputs); each response of a decoupled step opens a child lineage that sees its parent's
 * tensors, so the steps downstream of that response run once per response. Config validation forbids
 * a step reading tensors of two different decoupled producers, so a step's inputs always resolve
 * along one chain of lineages.
 */
import type { Tensor } from '../../core/index.js';

export class Lineage {
  readonly parent: Lineage | undefined;
  /** Tensors produced in this lineage (by ensemble tensor name). */
  readonly own = new Map<string, Tensor>();
  /** Batch size of the request that produced each tensor of `own` (0 = unbatched), for batch-dims.ts. */
  readonly ownBatch = new Map<string, number>();
  /** Optional ensemble inputs the client left out: resolved, but passed on to no member. */
  readonly absent = new Set<string>();
  /** Steps already started in this lineage (each runs at most once per lineage). */
  readonly started = new Set<number>();
  /** A decoupled ensemble sends one response per lineage that completes an output set. */
  emitted = false;

  constructor(parent?: Lineage) {
    this.parent = parent;
  }

  /** The tensor, looked up through the parents; undefined when not produced (yet). */
  get(name: string): Tensor | undefined {
    for (let l: Lineage | undefined = this; l !== undefined; l = l.parent) {
      const t = l.own.get(name);
      if (t !== undefined) return t;
    }
    return undefined;
  }

  /** The producing request's batch size of a tensor that `get` finds (0 when unknown). */
  batchOf(name: string): number {
    for (let l: Lineage | undefined = this; l !== undefined; l = l.parent) {
      if (l.own.has(name)) return l.ownBatch.get(name) ?? 0;
    }
    return 0;
  }

  /** True when the tensor exists or is an optional input the client did not send. */
  has(name: string): boolean {
    for (let l: Lineage | undefined = this; l !== undefined; l = l.parent) {
      if (l.own.has(name) || l.absent.has(name)) return true;
    }
    return false;
  }
}
