/** One loaded model version: the spec core validates against, its scheduler, instances and stats. */
import type { ModelSpec, ModelStats, Scheduler, ServedModel } from '../core/index.js';
import type { ModelConfig } from '../config/index.js';
import type { BackendModel } from '../backends/contract.js';
import type { InstancePool } from '../scheduler/instance-pool.js';

export class ServedVersion implements ServedModel {
  readonly spec: ModelSpec;
  readonly scheduler: Scheduler;
  readonly stats: ModelStats;
  /** `response_cache { enable: true }` (the server caches only when it has a cache too). */
  readonly responseCache: boolean;
  /** The final config (ensembles loaded later validate their steps against it). */
  readonly config: ModelConfig | undefined;
  /** Absent for ensembles: they have neither instances nor a backend. */
  readonly #pool: InstancePool | undefined;
  readonly #backendModel: BackendModel | undefined;

  constructor(parts: {
    spec: ModelSpec;
    scheduler: Scheduler;
    stats: ModelStats;
    responseCache?: boolean;
    config?: ModelConfig;
    pool?: InstancePool;
    backendModel?: BackendModel;
  }) {
    this.spec = parts.spec;
    this.scheduler = parts.scheduler;
    this.stats = parts.stats;
    this.responseCache = parts.responseCache ?? false;
    this.config = parts.config;
    this.#pool = parts.pool;
    this.#backendModel = parts.backendModel;
    if (parts.backendModel?.isReady !== undefined) {
      const probe = parts.backendModel.isReady.bind(parts.backendModel);
      this.isReady = probe;
    }
  }

  isReady?: () => Promise<boolean>;

  /** Finish queued and running work, then free instances and the backend model. */
  async dispose(): Promise<void> {
    await this.scheduler.stop();
    await this.#pool?.dispose();
    await this.#backendModel?.dispose();
  }
}
