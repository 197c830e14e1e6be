/**
 * Picks the scheduler a model's config asks for (Triton's scheduling_choice): the ensemble scheduler
 * for `ensemble_scheduling`, the sequence batcher when `sequence_batching` is set, dynamic batching when
 * `dynamic_batching` is set and the model batches, else the default scheduler.
 */
import type { ModelConfig } from '../config/index.js';
import { ServerError, type ModelInvoker, type ModelSpec, type ModelStats, type Scheduler } from '../core/index.js';
import { systemClock, type SchedulerClock } from './clock.js';
import { DefaultScheduler } from './default-scheduler.js';
import { DynamicBatcher } from './dynamic-batcher.js';
import { buildPlan } from './ensemble/plan.js';
import { EnsembleScheduler } from './ensemble/ensemble-scheduler.js';
import type { InstancePool } from './instance-pool.js';
import { SequenceBatcher } from './sequence/sequence-batcher.js';

/** What only an ensemble needs: its stats and, per step, the member model's final config. */
export interface EnsembleSchedulerContext {
  readonly stats: ModelStats;
  readonly members: readonly ModelConfig[];
}

export interface SchedulerContext {
  /** The model's instances; absent for ensembles, which own none. */
  readonly pool?: InstancePool;
  readonly spec: ModelSpec;
  readonly config: ModelConfig;
  /** Model directory (for files a scheduler reads, e.g. sequence initial_state data). */
  readonly modelDir: string;
  readonly clock?: SchedulerClock;
  /** Runs other models of this server (ensemble steps). */
  readonly invoker?: ModelInvoker;
  /** Set for ensembles (with `invoker`). */
  readonly ensemble?: EnsembleSchedulerContext;
}

export function createScheduler(ctx: SchedulerContext): Scheduler {
  const clock = ctx.clock ?? systemClock;
  if (ctx.config.ensemble_scheduling !== undefined) {
    if (ctx.ensemble === undefined || ctx.invoker === undefined) {
      throw ServerError.internal(`ensemble '${ctx.spec.name}' needs the server's invoker and its members' configs`);
    }
    return new EnsembleScheduler(buildPlan(ctx.config, ctx.ensemble.members), ctx.invoker, ctx.ensemble.stats);
  }
  const pool = ctx.pool;
  if (pool === undefined) throw ServerError.internal(`model '${ctx.spec.name}' has no instances`);
  if (ctx.config.sequence_batching !== undefined) {
    return new SequenceBatcher({ pool, spec: ctx.spec, config: ctx.config, modelDir: ctx.modelDir, clock });
  }
  if (ctx.config.dynamic_batching !== undefined && ctx.spec.maxBatchSize > 0) {
    return new DynamicBatcher(pool, ctx.spec, ctx.config.dynamic_batching, clock);
  }
  return new DefaultScheduler(pool);
}
