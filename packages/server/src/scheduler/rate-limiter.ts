/**
 * Triton's rate limiter (`--rate-limit=execution_count`, spec §12): one per server, shared by every
 * model's InstancePool. An instance whose group declares `rate_limiter { resources [...] }` may start an
 * execution only when those resources are free; it holds them until the execution returns.
 *
 * - Resources are per device (`<name>` on the instance's device) unless `global: true` (one pool of
 *   copies for the whole server).
 * - Available copies of a resource default to the largest count any registered instance needs (so every
 *   instance can run), recomputed as models load and unload; `--rate-limit-resource=<name>:<count>[:<device>]`
 *   overrides that (no device = every device, and the count of a global resource).
 * - Priority: when freed resources are contended, waiting instances are served by stride scheduling: each
 *   grant adds the instance's `priority` (0 counts as 1) to its pass value and the lowest pass goes first,
 *   so over time priority 2 gets half the grants of priority 1 (Triton's documented ratio). Ties go to the
 *   smaller priority value, then to the instance waiting longest.
 *
 * Arbitration is deferred one event-loop turn (setImmediate) after a release: the releasing pool's own
 * scheduler pumps in a microtask after its run settles, so by the time the limiter chooses, every pool
 * that wants the resources has said so. While a choice is pending, limited instances cannot start.
 */
import { ServerError } from '../core/index.js';

/** One `rate_limiter.resources` entry of an instance group. */
export interface RateLimitResourceNeed {
  readonly name: string;
  readonly global: boolean;
  readonly count: number;
}

/** What one model instance needs from the limiter. */
export interface InstanceRateLimit {
  readonly resources: readonly RateLimitResourceNeed[];
  /** Config `rate_limiter.priority` (1 = most chances; 0 is treated as 1). */
  readonly priority: number;
  /** Device of the instance, for per-device resources. */
  readonly deviceId: number;
}

/** `--rate-limit-resource=<name>:<count>[:<device>]`. */
export interface RateLimitResourceOverride {
  readonly name: string;
  readonly count: number;
  /** Absent: applies to every device and to the resource when it is global. */
  readonly device?: number;
}

/**
 * Parses one `--rate-limit-resource` value (`<name>:<count>[:<device>]`); throws INVALID_ARG with the
 * flag's syntax on anything else.
 */
export function parseRateLimitResource(value: string): RateLimitResourceOverride {
  const parts = value.split(':');
  const bad = (): ServerError =>
    ServerError.invalidArg(`invalid argument for --rate-limit-resource, expected <name>:<count>[:<device>], got: ${value}`);
  if (parts.length < 2 || parts.length > 3 || parts[0] === '') throw bad();
  const count = parts[1]!;
  if (!/^\d+$/.test(count)) throw bad();
  const device = parts[2];
  if (device !== undefined && !/^\d+$/.test(device)) throw bad();
  return { name: parts[0]!, count: Number(count), ...(device === undefined ? {} : { device: Number(device) }) };
}

/** The limiter's view of one registered instance. */
export class RateLimitClient {
  readonly #limiter: RateLimiter;
  /** Resource key (`g:<name>` or `d:<device>:<name>`) -> copies needed per execution. */
  readonly needs: ReadonlyMap<string, number>;
  readonly priority: number;
  readonly onCapacity: () => void;
  /** Stride-scheduling pass value: grows by `priority` per grant. */
  pass = 0;
  /** Order in which this client started waiting (ties), 0 = not waiting. */
  waitingSince = 0;
  holding = false;

  constructor(limiter: RateLimiter, needs: ReadonlyMap<string, number>, priority: number, onCapacity: () => void) {
    this.#limiter = limiter;
    this.needs = needs;
    this.priority = priority;
    this.onCapacity = onCapacity;
  }

  /** True when no resources are needed or they are free now; otherwise records that this client waits. */
  canStart(): boolean {
    return this.#limiter.canStart(this);
  }

  acquire(): void {
    this.#limiter.acquire(this);
  }

  release(): void {
    this.#limiter.release(this);
  }

  unregister(): void {
    this.#limiter.unregister(this);
  }
}

export class RateLimiter {
  readonly #overrides: readonly RateLimitResourceOverride[];
  readonly #clients = new Set<RateLimitClient>();
  /** Copies in use per resource key. */
  readonly #inUse = new Map<string, number>();
  /** Copies available per resource key (override or max need), recomputed on (un)register. */
  #available = new Map<string, number>();
  #arbitrationPending = false;
  #waitSeq = 0;
  /** Pass of the latest grant: a client that starts waiting again catches up to it (no banked credit). */
  #virtualTime = 0;

  constructor(options: { overrides?: readonly RateLimitResourceOverride[] } = {}) {
    this.#overrides = options.overrides ?? [];
  }

  /**
   * Registers one instance. Throws INVALID_ARG when an override leaves fewer copies than the instance
   * needs (it could never run), with Triton's wording.
   */
  register(limit: InstanceRateLimit, onCapacity: () => void): RateLimitClient {
    const needs = new Map<string, number>();
    for (const r of limit.resources) {
      if (r.count <= 0) continue;
      const key = r.global ? `g:${r.name}` : `d:${limit.deviceId}:${r.name}`;
      needs.set(key, (needs.get(key) ?? 0) + r.count);
      const cap = this.#override(r.name, r.global ? undefined : limit.deviceId);
      if (cap !== undefined && cap < needs.get(key)!) {
        throw ServerError.invalidArg(
          `Resource count for '${r.name}' is limited to ${cap} which will prevent scheduling of one or more model ` +
            `instances, the minimum required count is ${needs.get(key)!}`,
        );
      }
    }
    const client = new RateLimitClient(this, needs, Math.max(1, limit.priority), onCapacity);
    client.pass = this.#virtualTime;
    this.#clients.add(client);
    this.#recompute();
    return client;
  }

  /** Copies of a resource currently available in total (for tests and diagnostics). */
  available(name: string, device?: number): number {
    return this.#available.get(device === undefined ? `g:${name}` : `d:${device}:${name}`) ?? 0;
  }

  canStart(client: RateLimitClient): boolean {
    if (client.needs.size === 0) return true;
    if (!client.holding && !this.#arbitrationPending && this.#fits(client)) return true;
    this.#markWaiting(client);
    return false;
  }

  #markWaiting(client: RateLimitClient): void {
    if (client.waitingSince !== 0) return;
    client.waitingSince = ++this.#waitSeq;
    client.pass = Math.max(client.pass, this.#virtualTime);
  }

  /**
   * How many of `clients` (idle instances of one pool) could start together now, taking resources
   * greedily in order; each one left out is recorded as waiting.
   */
  countStartable(clients: readonly RateLimitClient[]): number {
    let n = 0;
    let extra: Map<string, number> | undefined;
    for (const c of clients) {
      if (c.needs.size === 0) {
        n += 1;
        continue;
      }
      if (!c.holding && !this.#arbitrationPending && this.#fits(c, extra)) {
        extra ??= new Map();
        for (const [key, k] of c.needs) extra.set(key, (extra.get(key) ?? 0) + k);
        n += 1;
        continue;
      }
      this.#markWaiting(c);
    }
    return n;
  }

  acquire(client: RateLimitClient): void {
    if (client.needs.size === 0) return;
    if (client.holding) throw ServerError.internal('rate limiter: instance already holds its resources');
    for (const [key, n] of client.needs) this.#inUse.set(key, (this.#inUse.get(key) ?? 0) + n);
    client.holding = true;
    client.waitingSince = 0;
    this.#virtualTime = Math.max(this.#virtualTime, client.pass);
    client.pass += client.priority;
  }

  release(client: RateLimitClient): void {
    if (!client.holding) return;
    for (const [key, n] of client.needs) this.#inUse.set(key, (this.#inUse.get(key) ?? 0) - n);
    client.holding = false;
    this.#scheduleArbitration();
  }

  unregister(client: RateLimitClient): void {
    this.release(client);
    this.#clients.delete(client);
    this.#recompute();
  }

  #fits(client: RateLimitClient, extra?: ReadonlyMap<string, number>): boolean {
    for (const [key, n] of client.needs) {
      const used = (this.#inUse.get(key) ?? 0) + (extra?.get(key) ?? 0);
      if (used + n > (this.#available.get(key) ?? 0)) return false;
    }
    return true;
  }

  #override(name: string, device: number | undefined): number | undefined {
    let any: number | undefined;
    for (const o of this.#overrides) {
      if (o.name !== name) continue;
      if (o.device === undefined) any = o.count;
      else if (device !== undefined && o.device === device) return o.count;
    }
    return any;
  }

  #recompute(): void {
    const available = new Map<string, number>();
    for (const c of this.#clients) {
      for (const [key, n] of c.needs) available.set(key, Math.max(available.get(key) ?? 0, n));
    }
    for (const key of available.keys()) {
      const [scope, a, b] = key.split(':') as [string, string, string | undefined];
      const cap = scope === 'g' ? this.#override(a, undefined) : this.#override(b!, Number(a));
      if (cap !== undefined) available.set(key, cap);
    }
    this.#available = available;
    // More copies (a model loaded) or fewer contenders may let a waiter start.
    this.#scheduleArbitration();
  }

  #scheduleArbitration(): void {
    if (this.#arbitrationPending) return;
    this.#arbitrationPending = true;
    setImmediate(() => this.#arbitrate());
  }

  /** Offers free resources to waiting instances, lowest pass first; each one's pool pumps at once. */
  #arbitrate(): void {
    this.#arbitrationPending = false;
    const waiting = [...this.#clients]
      .filter((c) => c.waitingSince > 0)
      .sort((a, b) => a.pass - b.pass || a.priority - b.priority || a.waitingSince - b.waitingSince);
    for (const c of waiting) {
      if (c.waitingSince === 0 || c.holding || !this.#fits(c)) continue;
      // The pool's pump asks canStart again and acquires; a pool without work leaves the copies free for
      // the next in line. Its `waitingSince` is cleared by acquire, or stays set if it still waits.
      c.waitingSince = 0;
      c.onCapacity();
    }
  }
}
