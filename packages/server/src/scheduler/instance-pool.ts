/**
 * A set of model instances; hands one execution (a list of requests) to a free instance and records
 * execution statistics. Schedulers decide *what* runs; the pool decides *where*. With a rate limiter
 * (spec §12) an instance may start only when it is idle AND the limiter grants its group's resources;
 * they are held for the execution and released when it returns.
 *
 * Staging (issue 15): an instance that accepts more than one execution at once (`executionSlots`, the
 * Python stub) may be handed the next one while one runs, when the pool is made with `staging`; it runs
 * them in order, so `instance_group.count` still bounds how many run at once and the staged one waits in
 * the instance with its inputs already there. An idle instance is always preferred over a staging slot.
 * Not with a rate limiter (a staged execution would hold resources while it waits) and not for sequence
 * models (the loader leaves `staging` off: sequence state and pinned instances need one at a time).
 */
import { executionChannel, ServerError, type ExecutionMessage, type ExecutionInstance, type InferenceRequest, type ModelStats } from '../core/index.js';
import type { InstanceRateLimit, RateLimitClient, RateLimiter } from './rate-limiter.js';

export interface InstancePoolOptions {
  /** Decoupled models may answer after `execute` returns (response sender used later). */
  readonly decoupled?: boolean;
  /** The server's rate limiter (`--rate-limit=execution_count`); absent = off. */
  readonly rateLimiter?: RateLimiter;
  /** Per instance (same order as `instances`): its group's `rate_limiter` and device. */
  readonly rateLimits?: readonly InstanceRateLimit[];
  /** Let instances with `executionSlots > 1` take a staged execution while one runs (see the top). */
  readonly staging?: boolean;
}

export class InstancePool {
  /** Instances with no execution. */
  readonly #idle: ExecutionInstance[];
  /** Instances running one execution that accept another (a free staging slot each). */
  readonly #staging: ExecutionInstance[] = [];
  /** The executions on each instance, in the order handed over: the first runs, the others are staged. */
  readonly #runs = new Map<ExecutionInstance, (readonly InferenceRequest[])[]>();
  /** How many executions each instance may hold at once (1 unless staging applies). */
  readonly #slots = new Map<ExecutionInstance, number>();
  #staged = 0;
  readonly #all: readonly ExecutionInstance[];
  readonly #stats: ModelStats;
  readonly #capacityListeners: (() => void)[] = [];
  readonly #decoupled: boolean;
  /** Limiter clients by instance; undefined when rate limiting is off (the fast path). */
  readonly #limits: Map<ExecutionInstance, RateLimitClient> | undefined;
  readonly #limiter: RateLimiter | undefined;

  constructor(instances: readonly ExecutionInstance[], stats: ModelStats, options: InstancePoolOptions = {}) {
    if (instances.length === 0) throw ServerError.internal('a model needs at least one instance');
    this.#all = instances;
    this.#idle = [...instances];
    this.#stats = stats;
    this.#decoupled = options.decoupled ?? false;
    this.#limits = registerLimits(instances, options, () => this.#notifyCapacity());
    this.#limiter = this.#limits === undefined ? undefined : options.rateLimiter;
    const staging = options.staging === true && this.#limits === undefined;
    for (const instance of instances) {
      this.#slots.set(instance, staging ? Math.max(1, Math.floor(instance.executionSlots ?? 1)) : 1);
      this.#runs.set(instance, []);
    }
  }

  get size(): number {
    return this.#all.length;
  }

  /**
   * Executions the pool can take now: idle instances (with a rate limiter: whose resources fit too) plus
   * free staging slots of busy instances.
   */
  get idleCount(): number {
    if (this.#limits === undefined) return this.#idle.length + this.#stageable();
    const clients: RateLimitClient[] = [];
    for (const instance of this.#idle) clients.push(this.#limits.get(instance)!);
    return this.#limiter!.countStartable(clients);
  }

  /** True when the instances run their executions synchronously on the event loop (they share one placement). */
  get runsOnEventLoop(): boolean {
    return this.#all[0]!.runsOnEventLoop === true;
  }

  /** True when every execution the pool can take now would be staged (no instance is idle). */
  get onlyStaging(): boolean {
    return this.#idle.length === 0 && this.#stageable() > 0;
  }

  /** Free staging slots whose instance takes a staged execution now (`canStage`). */
  #stageable(): number {
    let n = 0;
    for (const instance of this.#staging) if (instance.canStage !== false) n++;
    return n;
  }

  /** The busy instance whose staging slot freed last among those that take one now. */
  #takeStaging(): ExecutionInstance | undefined {
    for (let i = this.#staging.length - 1; i >= 0; i--) {
      if (this.#staging[i]!.canStage !== false) return this.#staging.splice(i, 1)[0];
    }
    return undefined;
  }

  /** Requests in staged executions: handed to an instance, waiting there behind another (pending, not executing). */
  get stagedCount(): number {
    return this.#staged;
  }

  /**
   * Registers the scheduler's pump for capacity that appears from outside this pool's own runs (the
   * rate limiter freeing resources another model held). A scheduler calls this once, at construction.
   */
  onCapacity(listener: () => void): void {
    this.#capacityListeners.push(listener);
  }

  /**
   * Runs `requests` on an idle instance; the caller must have seen `idleCount > 0`. Every request gets
   * a final response even when the backend throws.
   */
  async run(requests: readonly InferenceRequest[], pinned?: number): Promise<void> {
    const instance = pinned === undefined ? this.#take() : this.#takeAt(pinned);
    const runs = this.#runs.get(instance)!;
    runs.push(requests);
    if (runs.length > 1) this.#staged += requests.length;
    if (runs.length < this.#slots.get(instance)!) this.#staging.push(instance);
    const client = this.#limits?.get(instance);
    client?.acquire();
    for (const r of requests) r.stamp('computeStart');
    if (executionChannel.hasSubscribers) publishExecution(instance.name, requests);
    try {
      await instance.execute(requests);
    } catch (err) {
      for (const r of requests) r.respondError(err);
    } finally {
      if (!this.#decoupled) {
        for (const r of requests) if (!r.isDone) r.respondError(ServerError.internal(`instance '${instance.name}' returned no response`));
      }
      this.#recordExecution(requests);
      client?.release();
      this.#finished(instance, runs, requests);
    }
  }

  /** `requests` ended on `instance`: the next staged execution (if any) is the running one now. */
  #finished(instance: ExecutionInstance, runs: (readonly InferenceRequest[])[], requests: readonly InferenceRequest[]): void {
    const at = runs.indexOf(requests);
    runs.splice(at, 1);
    // The one that ended was staged (an instance that failed it early), or the next one starts running.
    if (at > 0) this.#staged -= requests.length;
    else if (runs.length > 0) this.#staged -= runs[0]!.length;
    const free = this.#staging.indexOf(instance);
    if (free >= 0) this.#staging.splice(free, 1);
    if (runs.length === 0) this.#idle.push(instance);
    else this.#staging.push(instance);
  }

  async dispose(): Promise<void> {
    if (this.#limits !== undefined) for (const client of this.#limits.values()) client.unregister();
    await Promise.all(this.#all.map((i) => i.dispose()));
  }

  /**
   * Without a limiter the most recently idle instance, else the busy instance whose staging slot freed
   * last; with one, the startable instance with the lowest pass.
   */
  #take(): ExecutionInstance {
    if (this.#limits === undefined) {
      const instance = this.#idle.pop() ?? this.#takeStaging();
      if (instance === undefined) throw ServerError.internal('no idle instance');
      return instance;
    }
    let best = -1;
    for (let i = 0; i < this.#idle.length; i++) {
      const client = this.#limits.get(this.#idle[i]!)!;
      if (!client.canStart()) continue;
      if (best < 0 || client.pass < this.#limits.get(this.#idle[best]!)!.pass) best = i;
    }
    if (best < 0) throw ServerError.internal('no idle instance');
    return this.#idle.splice(best, 1)[0]!;
  }

  /**
   * True when instance `index` (creation order) could start an execution now. The sequence batcher keeps
   * each sequence on one instance and passes that index to `run` as `pinned`.
   */
  isIdle(index: number): boolean {
    const instance = this.#all[index];
    if (instance === undefined || !this.#idle.includes(instance)) return false;
    return this.#limits?.get(instance)?.canStart() ?? true;
  }

  #takeAt(index: number): ExecutionInstance {
    if (!this.isIdle(index)) throw ServerError.internal(`instance ${index} is not idle`);
    const instance = this.#all[index]!;
    this.#idle.splice(this.#idle.indexOf(instance), 1);
    return instance;
  }

  #notifyCapacity(): void {
    for (const listener of this.#capacityListeners) listener();
  }

  #recordExecution(requests: readonly InferenceRequest[]): void {
    const first = requests[0];
    if (first === undefined) return;
    const t = first.timestamps;
    const inputEnd = t.computeInputEnd || t.computeStart;
    const outputStart = t.computeOutputStart || inputEnd;
    const end = t.computeEnd || outputStart;
    const batch = requests.reduce((n, r) => n + r.batchSize, 0);
    this.#stats.recordExecution(batch, inputEnd - t.computeStart, outputStart - inputEnd, end - outputStart);
  }
}

/** One limiter client per instance when a limiter is given and some instance declares resources. */
function registerLimits(
  instances: readonly ExecutionInstance[], options: InstancePoolOptions, onCapacity: () => void,
): Map<ExecutionInstance, RateLimitClient> | undefined {
  const limiter = options.rateLimiter;
  const limits = options.rateLimits;
  if (limiter === undefined || limits === undefined) return undefined;
  if (!limits.some((l) => l.resources.some((r) => r.count > 0))) return undefined;
  const clients = new Map<ExecutionInstance, RateLimitClient>();
  try {
    instances.forEach((instance, i) => {
      clients.set(instance, limiter.register(limits[i] ?? { resources: [], priority: 0, deviceId: 0 }, onCapacity));
    });
  } catch (err) {
    for (const client of clients.values()) client.unregister();
    throw err;
  }
  return clients;
}

function publishExecution(instance: string, requests: readonly InferenceRequest[]): void {
  let batchSize = 0;
  for (const r of requests) batchSize += r.batchSize;
  const message: ExecutionMessage = {
    modelName: requests[0]?.modelName ?? '', instance, requestCount: requests.length, requestIds: requests.map((r) => r.id), batchSize,
  };
  executionChannel.publish(message);
}
