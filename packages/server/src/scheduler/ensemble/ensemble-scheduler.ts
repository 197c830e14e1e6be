/**
 * The scheduler of `platform: "ensemble"` models (Triton's EnsembleScheduler). It owns no instances:
 * each request becomes an EnsembleRun that calls the member models through the server, so members
 * keep their own schedulers, batching, limits and statistics.
 */
import { ServerError, type InferenceRequest, type ModelInvoker, type ModelStats, type Scheduler } from '../../core/index.js';
import { EnsembleRun } from './ensemble-run.js';
import type { EnsemblePlan } from './plan.js';

export class EnsembleScheduler implements Scheduler {
  readonly #plan: EnsemblePlan;
  readonly #invoker: ModelInvoker;
  readonly #stats: ModelStats;
  readonly #runs = new Set<EnsembleRun>();
  #stopping = false;
  #idle: (() => void) | undefined;
  readonly #settled = (run: EnsembleRun): void => {
    this.#runs.delete(run);
    if (this.#stopping && this.#runs.size === 0) this.#idle?.();
  };

  constructor(plan: EnsemblePlan, invoker: ModelInvoker, stats: ModelStats) {
    this.#plan = plan;
    this.#invoker = invoker;
    this.#stats = stats;
  }

  enqueue(request: InferenceRequest): void {
    if (this.#stopping) {
      request.respondError(ServerError.of('MODEL_UNLOADING'));
      return;
    }
    if (request.isCancelled) {
      request.respondError(ServerError.cancelled());
      return;
    }
    const run = new EnsembleRun(this.#plan, this.#invoker, this.#stats, request, this.#settled);
    this.#runs.add(run);
    run.start();
  }

  /** Resolves once every request in flight has finished, members included. */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#runs.size === 0) return;
    await new Promise<void>((resolve) => {
      this.#idle = resolve;
    });
  }
}
