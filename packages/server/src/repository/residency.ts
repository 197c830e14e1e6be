/**
 * Which models stay in memory (issue 19), for the repository manager in explicit mode: loads on
 * demand (on-demand.ts), the budgets with least-recently-used eviction (lru-budget.ts), the size
 * estimate of each load (footprint.ts), pinning, and the events the metrics count. The manager calls
 * `touch` on every lease, wraps every load of a model with a backend in `load`, and calls `released`
 * whenever a model stops serving.
 *
 * Pinned (never evicted): the models named with `--load-model`, models whose config has the parameter
 * `inferd.pinned` set to "true", and (through the host's `idle`) members of a loaded ensemble.
 */
import { ServerError, type CancelSignal, type ModelLease } from '../core/index.js';
import { directoryBytes, LoadFootprint } from './footprint.js';
import { LruBudget, type BudgetLimits, type EvictionReason } from './lru-budget.js';
import type { ModelLoadResult } from './model-loader.js';
import { OnDemandLoads, type WaitOutcome } from './on-demand.js';

/** The config parameter that pins a model (`parameters { key: "inferd.pinned" value { string_value: "true" } }`). */
export const PINNED_PARAMETER = 'inferd.pinned';

export type LoadTrigger = 'on_demand' | 'control';

/** What the metrics registry records (observability/metrics-residency.ts implements it). */
export interface ResidencyObserver {
  loaded(trigger: LoadTrigger, ok: boolean): void;
  evicted(reason: EvictionReason): void;
  waited(seconds: number, outcome: WaitOutcome): void;
}

/** The figures the gauges show at scrape time. */
export interface ResidencySnapshot {
  readonly loadedModels: number;
  readonly estimatedBytes: number;
  readonly maxLoaded: number | undefined;
  readonly memoryBudgetBytes: number | undefined;
}

export interface ResidencyOptions extends BudgetLimits {
  /** `--model-load-on-demand`. */
  readonly loadOnDemand: boolean;
  /** `--load-model` names (pinned); the manager fills it from its start-up models. */
  readonly pinned: readonly string[];
  /** Counts loads, evictions and on-demand waits (the metrics registry). */
  readonly observer?: ResidencyObserver;
}

/** What the manager provides. */
export interface ResidencyHost {
  idle(name: string): boolean;
  /** Unloads the model now; `why` names the flag whose limit it makes room under. */
  evict(name: string, why: string): void;
  /** Loads `name` in its queue (unless it serves already), calling `ready` synchronously once it serves. */
  loadOnDemand(name: string, ready: () => void): Promise<void>;
  acquire(name: string, version: number | undefined): ModelLease;
}

export class ModelResidency {
  readonly #budget: LruBudget;
  readonly #onDemand: OnDemandLoads | undefined;
  readonly #footprint = new LoadFootprint();
  readonly #pinned: ReadonlySet<string>;
  readonly #observer: ResidencyObserver | undefined;

  constructor(options: ResidencyOptions, host: ResidencyHost) {
    this.#observer = options.observer;
    this.#pinned = new Set(options.pinned);
    const limits: BudgetLimits = {
      ...(options.maxLoaded === undefined ? {} : { maxLoaded: options.maxLoaded }),
      ...(options.memoryBytes === undefined ? {} : { memoryBytes: options.memoryBytes }),
    };
    this.#budget = new LruBudget(limits, {
      idle: (name) => host.idle(name),
      evict: (name, reason) => {
        host.evict(name, reason === 'max_loaded' ? '--model-max-loaded' : '--model-memory-budget');
        this.#observer?.evicted(reason);
      },
    });
    const observer = this.#observer;
    this.#onDemand = options.loadOnDemand
      ? new OnDemandLoads({
          load: (name, ready) => host.loadOnDemand(name, ready),
          acquire: (name, version) => host.acquire(name, version),
          ...(observer === undefined ? {} : { waited: (s: number, o: WaitOutcome) => observer.waited(s, o) }),
        })
      : undefined;
  }

  get loadsOnDemand(): boolean {
    return this.#onDemand !== undefined;
  }

  touch(name: string): void {
    this.#budget.touch(name);
  }

  /** A lease once `name` has loaded on demand (see on-demand.ts); only when on-demand loading is on. */
  wait(name: string, version: number | undefined, signal: CancelSignal | undefined): Promise<ModelLease> {
    return this.#onDemand!.wait(name, version, signal);
  }

  /**
   * Runs one load of a model with a backend under the budget: room is made (or UNAVAILABLE thrown)
   * synchronously, before anything loads; the size measured at the end becomes the model's estimate.
   */
  load(name: string, dir: string, run: () => Promise<ModelLoadResult>): Promise<ModelLoadResult> {
    const fileBytes = directoryBytes(dir);
    this.#budget.reserve(name, fileBytes);
    const trigger: LoadTrigger = this.#onDemand?.has(name) === true ? 'on_demand' : 'control';
    const end = this.#footprint.begin();
    return run().then((result) => {
      const grown = end();
      const served = result.versions.filter((v) => v.served !== undefined);
      if (served.length > 0) {
        const pinned = this.#pinned.has(name)
          || served.some((v) => v.served!.config?.parameters?.[PINNED_PARAMETER]?.string_value === 'true');
        this.#budget.commit(name, Math.max(fileBytes, grown ?? 0), pinned);
      } else {
        this.#budget.abandon(name);
      }
      this.#observer?.loaded(trigger, result.error === undefined && served.length === result.versions.length && served.length > 0);
      return result;
    }, (err: unknown) => {
      end();
      this.#budget.abandon(name);
      this.#observer?.loaded(trigger, false);
      throw err;
    });
  }

  released(name: string): void {
    this.#budget.release(name);
  }

  snapshot(): ResidencySnapshot {
    return {
      loadedModels: this.#budget.residentCount,
      estimatedBytes: this.#budget.estimatedBytes,
      maxLoaded: this.#budget.limits.maxLoaded,
      memoryBudgetBytes: this.#budget.limits.memoryBytes,
    };
  }
}

/**
 * The manager's residency, or undefined when none of on-demand loading and the budgets is asked for
 * (then nothing of this runs on the request path). They need explicit mode: in `none` and `poll`
 * modes every model in the repository is loaded by design, and nothing could load an evicted one again.
 */
export function createResidency(
  options: { readonly residency?: Partial<ResidencyOptions>; readonly startupModels?: readonly string[] },
  mode: string, host: ResidencyHost,
): ModelResidency | undefined {
  const { loadOnDemand = false, maxLoaded, memoryBytes, observer } = options.residency ?? {};
  if (!loadOnDemand && maxLoaded === undefined && memoryBytes === undefined) return undefined;
  if (maxLoaded !== undefined && !(Number.isInteger(maxLoaded) && maxLoaded >= 1)) {
    throw ServerError.invalidArg(`the most models loaded at once must be a whole number of at least 1, got: ${maxLoaded}`);
  }
  if (memoryBytes !== undefined && !(Number.isSafeInteger(memoryBytes) && memoryBytes >= 1)) {
    throw ServerError.invalidArg(`the memory budget must be a whole number of bytes of at least 1, got: ${memoryBytes}`);
  }
  if (mode !== 'explicit') {
    throw ServerError.invalidArg('loading models on demand and model budgets need --model-control-mode=explicit');
  }
  const pinned = (options.startupModels ?? []).filter((n) => n !== '*');
  return new ModelResidency({
    loadOnDemand, pinned,
    ...(maxLoaded === undefined ? {} : { maxLoaded }),
    ...(memoryBytes === undefined ? {} : { memoryBytes }),
    ...(observer === undefined ? {} : { observer }),
  }, host);
}
