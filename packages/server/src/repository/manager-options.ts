/** What the repository manager is built with: the repositories, the control mode and its flags. */
import type { Logger } from '../observability/log.js';
import type { LoaderOptions } from './model-loader.js';
import type { ResidencyOptions } from './residency.js';

export type ModelControlMode = 'none' | 'poll' | 'explicit';

export interface RepositoryManagerOptions extends LoaderOptions {
  readonly repositories: readonly string[];
  /** --model-load-thread-count: models loaded in parallel. */
  readonly loadThreadCount?: number;
  readonly log: Logger;
  /** --model-control-mode (default none). */
  readonly controlMode?: ModelControlMode;
  /** --load-model: explicit mode's startup models (`*` = all, alone). */
  readonly startupModels?: readonly string[];
  /** --repository-poll-secs: poll mode's rescan interval (<= 0: no timer; `poll()` still works). */
  readonly pollSecs?: number;
  /** --model-load-retry-count: further attempts after a model (or one of its versions) fails to load. */
  readonly loadRetryCount?: number;
  /**
   * Remote repositories (`s3://`) whose local copies are among `repositories`: `sync` runs before every
   * scan that can load something (start, each poll, each explicit load), `close` at shutdown.
   */
  readonly remote?: { sync(): Promise<void>; close(): void };
  /** --model-load-on-demand, --model-max-loaded, --model-memory-budget (explicit mode; see residency.ts). */
  readonly residency?: Partial<ResidencyOptions>;
}
