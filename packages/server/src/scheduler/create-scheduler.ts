/**
 * Picks the scheduler a model's config asks for (Triton's scheduling_choice): the sequence batcher when
 * `sequence_batching` is set, dynamic batching when `dynamic_batching` is set and the model batches,
 * else the default scheduler.
 */
import type { ModelConfig } from '../config/index.js';
import type { ModelInvoker, ModelSpec, Scheduler } from '../core/index.js';
import { systemClock, type SchedulerClock } from './clock.js';
import { DefaultScheduler } from './default-scheduler.js';
import { DynamicBatcher } from './dynamic-batcher.js';
import type { InstancePool } from './instance-pool.js';
import { SequenceBatcher } from './sequence/sequence-batcher.js';

export interface SchedulerContext {
  readonly pool: InstancePool;
  readonly spec: ModelSpec;
  readonly config: ModelConfig;
  /** Model directory (for files a scheduler reads, e.g. sequence initial_state data). */
  readonly modelDir: string;
  readonly clock?: SchedulerClock;
  /** Runs other models of this server (ensemble steps). */
  readonly invoker?: ModelInvoker;
}

export function createScheduler(ctx: SchedulerContext): Scheduler {
  const clock = ctx.clock ?? systemClock;
  if (ctx.config.sequence_batching !== undefined) {
    return new SequenceBatcher({ pool: ctx.pool, spec: ctx.spec, config: ctx.config, modelDir: ctx.modelDir, clock });
  }
  if (ctx.config.dynamic_batching !== undefined && ctx.spec.maxBatchSize > 0) {
    return new DynamicBatcher(ctx.pool, ctx.spec, ctx.config.dynamic_batching, clock);
  }
  return new DefaultScheduler(ctx.pool);
}
