/**
 * The `inferd_*` families of on-demand loading and the model budgets (issue 19; Triton has none):
 *
 *   inferd_model_loads_total{trigger,outcome}   loads of models with a backend; trigger `on_demand`
 *                                                (an infer request) or `control` (start-up, load API,
 *                                                an ensemble's members); outcome `success` / `failure`
 *   inferd_model_evictions_total{reason}         least-recently-used unloads; `max_loaded` / `memory_budget`
 *   inferd_model_load_wait_seconds{outcome}      how long infer requests waited for their model's load;
 *                                                outcome `loaded` / `failed` / `cancelled`
 *   inferd_models_loaded                         models with a backend loaded or loading
 *   inferd_models_max_loaded                     --model-max-loaded (only when set)
 *   inferd_model_memory_estimate_bytes           the sum of their size estimates
 *   inferd_model_memory_budget_bytes             --model-memory-budget (only when set)
 *
 * They exist only when on-demand loading or a budget is on. The counters are fed by the repository
 * (through `observer`); the gauges read the repository's figures at scrape time.
 */
import { Counter, Histogram, type Metric, type Registry } from 'prom-client';

/** The figures the gauges show (the repository manager's `residency()`). */
export interface ResidencyFigures {
  readonly loadedModels: number;
  readonly estimatedBytes: number;
  readonly maxLoaded: number | undefined;
  readonly memoryBudgetBytes: number | undefined;
}

/** Matches repository/residency.ts's ResidencyObserver (observability does not import the repository). */
export interface ResidencyCounters {
  loaded(trigger: 'on_demand' | 'control', ok: boolean): void;
  evicted(reason: 'max_loaded' | 'memory_budget'): void;
  waited(seconds: number, outcome: 'loaded' | 'failed' | 'cancelled'): void;
}

/** Small ONNX models load in milliseconds; a large one or a Python model in seconds. */
const WAIT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function residencyFamilies(registry: Registry, figures: () => ResidencyFigures | undefined): ResidencyCounters {
  const loads = new Counter({
    name: 'inferd_model_loads_total', help: 'Model loads, by what asked for them and how they ended',
    labelNames: ['trigger', 'outcome'], registers: [registry],
  });
  const evictions = new Counter({
    name: 'inferd_model_evictions_total', help: 'Least recently used models unloaded to stay within a budget',
    labelNames: ['reason'], registers: [registry],
  });
  const waits = new Histogram({
    name: 'inferd_model_load_wait_seconds', help: 'Time infer requests waited for their model to load on demand',
    labelNames: ['outcome'], buckets: WAIT_BUCKETS, registers: [registry],
  });
  // Custom collectors, as metrics.ts's: a gauge whose figure is unset has no series at all.
  const gauge = (name: string, help: string, read: (f: ResidencyFigures) => number | undefined): void => {
    const family = {
      name, help, type: 'gauge',
      get: async () => {
        const f = figures();
        const v = f === undefined ? undefined : read(f);
        return { name, help, type: 'gauge', values: v === undefined ? [] : [{ labels: {}, value: v }], aggregator: 'sum' };
      },
    };
    registry.registerMetric(family as unknown as Metric);
  };
  gauge('inferd_models_loaded', 'Models with a backend that are loaded or loading', (f) => f.loadedModels);
  gauge('inferd_models_max_loaded', 'The most models loaded at once (--model-max-loaded)', (f) => f.maxLoaded);
  gauge('inferd_model_memory_estimate_bytes', 'Estimated memory of the loaded models, in bytes', (f) => f.estimatedBytes);
  gauge('inferd_model_memory_budget_bytes', 'Memory budget for loaded models (--model-memory-budget), in bytes',
    (f) => f.memoryBudgetBytes);
  return {
    loaded: (trigger, ok) => loads.inc({ trigger, outcome: ok ? 'success' : 'failure' }),
    evicted: (reason) => evictions.inc({ reason }),
    waited: (seconds, outcome) => waits.observe({ outcome }, seconds),
  };
}
