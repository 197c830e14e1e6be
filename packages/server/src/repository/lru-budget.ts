/**
 * `--model-max-loaded` and `--model-memory-budget` (issue 19): which models count as resident, what
 * each is estimated to cost, and which to unload, least recently used first, when a load needs room.
 *
 * Only models with a backend count (an ensemble holds no weights; it is never resident here). A model
 * is resident from the moment its load reserves room until it is unloaded, so concurrent loads cannot
 * overrun a budget together. A resident model can be evicted only when it is not pinned, not loading,
 * and the host says it is idle (no request holds a lease on it and no loaded ensemble uses it); its
 * in-flight requests (there are none by then) and the ones that leased it earlier always finish,
 * because an unload drains leases before it disposes anything.
 *
 * The estimate of a model is the larger of its files' bytes on disk and the RSS growth measured over
 * its loads that ran alone (footprint.ts), the largest seen so far: a reservation uses what is known
 * before the load, the commit the figure measured by it (if larger), which later loads start from.
 */
import { ServerError } from '../core/index.js';

export interface BudgetLimits {
  /** The most models resident at once (undefined = no limit). */
  readonly maxLoaded?: number;
  /** The most estimated bytes resident at once (undefined = no limit). */
  readonly memoryBytes?: number;
}

export type EvictionReason = 'max_loaded' | 'memory_budget';

export interface EvictionHost {
  /** True when no request holds the model and no loaded ensemble uses it. */
  idle(name: string): boolean;
  /** Unloads the model now (requests that hold it finish first). */
  evict(name: string, reason: EvictionReason): void;
}

interface Resident {
  bytes: number;
  lastUsed: number;
  pinned: boolean;
  loading: boolean;
  /** Reserved by a first load that has not committed yet (dropped if that load fails). */
  fresh: boolean;
}

const WHY_NOT = 'each is pinned, in use by a request, loading, or a member of a loaded ensemble';

export class LruBudget {
  readonly limits: BudgetLimits;
  readonly #host: EvictionHost;
  readonly #residents = new Map<string, Resident>();
  /** The largest committed estimate of every model loaded so far (kept after unloads, for the next load). */
  readonly #learned = new Map<string, number>();
  #clock = 0;
  #bytes = 0;

  constructor(limits: BudgetLimits, host: EvictionHost) {
    this.limits = limits;
    this.#host = host;
  }

  get residentCount(): number {
    return this.#residents.size;
  }

  get estimatedBytes(): number {
    return this.#bytes;
  }

  /** A request used the model (every lease counts): it becomes the most recently used. */
  touch(name: string): void {
    const r = this.#residents.get(name);
    if (r !== undefined) r.lastUsed = ++this.#clock;
  }

  /**
   * Makes room for a load of `name` (evicting as needed) and reserves it. Throws UNAVAILABLE when the
   * budget cannot be met. A reload of a resident model keeps its place and needs no new room.
   */
  reserve(name: string, fileBytes: number): void {
    const existing = this.#residents.get(name);
    if (existing !== undefined) {
      existing.loading = true;
      return;
    }
    const bytes = Math.max(fileBytes, this.#learned.get(name) ?? 0);
    const { maxLoaded, memoryBytes } = this.limits;
    if (memoryBytes !== undefined && bytes > memoryBytes) {
      throw ServerError.unavailable(
        `cannot load model '${name}': its estimated size of ${bytes} bytes is more than --model-memory-budget=${memoryBytes}`);
    }
    for (;;) {
      let reason: EvictionReason;
      if (maxLoaded !== undefined && this.#residents.size + 1 > maxLoaded) reason = 'max_loaded';
      else if (memoryBytes !== undefined && this.#bytes + bytes > memoryBytes) reason = 'memory_budget';
      else break;
      const victim = this.#leastRecentlyUsed(name);
      if (victim === undefined) {
        throw ServerError.unavailable(reason === 'max_loaded'
          ? `cannot load model '${name}': ${maxLoaded} models are loaded (--model-max-loaded) and none can be unloaded (${WHY_NOT})`
          : `cannot load model '${name}': it needs an estimated ${bytes} bytes and ${this.#bytes} of the ${memoryBytes} bytes of ` +
            `--model-memory-budget are held by models that cannot be unloaded (${WHY_NOT})`);
      }
      this.#evict(victim, reason);
    }
    this.#residents.set(name, { bytes, lastUsed: ++this.#clock, pinned: false, loading: true, fresh: true });
    this.#bytes += bytes;
  }

  /**
   * The load succeeded: the model's estimate becomes `bytes` (what was measured), it is pinned or not
   * as its config says, and it counts as just used. A measured size above the memory budget's room
   * evicts other idle models now; when none can go, the budget stays exceeded until some can.
   */
  commit(name: string, bytes: number, pinned: boolean): void {
    let r = this.#residents.get(name);
    if (r === undefined) {
      r = { bytes: 0, lastUsed: 0, pinned, loading: false, fresh: false };
      this.#residents.set(name, r);
    }
    // The largest figure seen for the model: a reload often reuses memory freed by an eviction, so its
    // RSS growth understates what the model holds.
    const estimate = Math.max(bytes, this.#learned.get(name) ?? 0);
    this.#bytes += estimate - r.bytes;
    Object.assign(r, { bytes: estimate, pinned, loading: false, fresh: false, lastUsed: ++this.#clock });
    this.#learned.set(name, estimate);
    const memoryBytes = this.limits.memoryBytes;
    while (memoryBytes !== undefined && this.#bytes > memoryBytes) {
      const victim = this.#leastRecentlyUsed(name);
      if (victim === undefined) break;
      this.#evict(victim, 'memory_budget');
    }
  }

  /** The load failed: a first load gives its reservation back; a failed reload leaves the old versions resident. */
  abandon(name: string): void {
    const r = this.#residents.get(name);
    if (r === undefined) return;
    if (r.fresh) this.release(name);
    else r.loading = false;
  }

  /** The model was unloaded (by the API, an eviction, or an ensemble cascade). */
  release(name: string): void {
    const r = this.#residents.get(name);
    if (r === undefined) return;
    this.#residents.delete(name);
    this.#bytes -= r.bytes;
  }

  #leastRecentlyUsed(except: string): string | undefined {
    let best: string | undefined;
    let bestUsed = Infinity;
    for (const [name, r] of this.#residents) {
      if (name === except || r.pinned || r.loading || r.lastUsed >= bestUsed) continue;
      if (!this.#host.idle(name)) continue;
      best = name;
      bestUsed = r.lastUsed;
    }
    return best;
  }

  #evict(name: string, reason: EvictionReason): void {
    this.release(name);
    this.#host.evict(name, reason);
  }
}
