/**
 * A set of model instances; hands one execution (a list of requests) to a free instance and records
 * execution statistics. Schedulers decide *what* runs; the pool decides *where*.
 */
import { ServerError, type ExecutionInstance, type InferenceRequest, type ModelStats } from '../core/index.js';

export class InstancePool {
  readonly #idle: ExecutionInstance[];
  readonly #all: readonly ExecutionInstance[];
  readonly #stats: ModelStats;
  readonly #waiters: (() => void)[] = [];
  readonly #capacityListeners: (() => void)[] = [];
  /** Decoupled models may answer after `execute` returns (response sender used later). */
  readonly #decoupled: boolean;

  constructor(instances: readonly ExecutionInstance[], stats: ModelStats, options: { decoupled?: boolean } = {}) {
    if (instances.length === 0) throw ServerError.internal('a model needs at least one instance');
    this.#all = instances;
    this.#idle = [...instances];
    this.#stats = stats;
    this.#decoupled = options.decoupled ?? false;
  }

  get size(): number {
    return this.#all.length;
  }

  get idleCount(): number {
    return this.#idle.length;
  }

  /**
   * Registers the scheduler's pump for capacity that appears from outside this pool's own runs (the
   * rate limiter freeing resources another model held). A scheduler calls this once, at construction.
   */
  onCapacity(listener: () => void): void {
    this.#capacityListeners.push(listener);
  }

  /** Resolves when an instance is idle (immediately if one is). */
  whenIdle(): Promise<void> {
    if (this.#idle.length > 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /**
   * Runs `requests` on an idle instance; the caller must have seen `idleCount > 0`. Every request gets
   * a final response even when the backend throws.
   */
  async run(requests: readonly InferenceRequest[]): Promise<void> {
    const instance = this.#idle.pop();
    if (instance === undefined) throw ServerError.internal('no idle instance');
    for (const r of requests) r.stamp('computeStart');
    try {
      await instance.execute(requests);
    } catch (err) {
      for (const r of requests) r.respondError(err);
    } finally {
      if (!this.#decoupled) {
        for (const r of requests) if (!r.isDone) r.respondError(ServerError.internal(`instance '${instance.name}' returned no response`));
      }
      this.#recordExecution(requests);
      this.#idle.push(instance);
      this.#waiters.shift()?.();
    }
  }

  async dispose(): Promise<void> {
    await Promise.all(this.#all.map((i) => i.dispose()));
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
