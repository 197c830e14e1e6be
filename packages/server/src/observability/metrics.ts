/**
 * MetricsRegistry: every `nv_*` family of spec §9 in one prom-client `Registry`, rendered as the
 * Prometheus text Triton serves on :8002/metrics. Per-model families are custom collectors that read
 * `ModelStats` and the schedulers of the READY versions at scrape time; histograms and summaries
 * (only when `--metrics-config` turns them on) are fed per request through `ModelStats.observer`.
 *
 * Embedding: `createInferenceServer` returns one as `metrics`; `await metrics.text()` is the body of
 * a scrape. Other families (a backend's own metrics, e.g. Python `pb_utils.MetricFamily` once the
 * Python backend forwards them from its stub) join through `addFamily` or prom-client's `registry`.
 */
import { Registry, type Metric } from 'prom-client';
import type { ModelStats, ServedModel } from '../core/index.js';
import type { ModelConfig } from '../config/types.js';
import { DEFAULT_METRICS_CONFIG, parseMetricsConfig, type MetricsConfig } from './metrics-config.js';
import { instrumentFamilies, modelFamilies, modelLabels, type Sample } from './metrics-families.js';
import { ModelInstruments } from './metrics-instruments.js';
import { SystemSampler } from './metrics-system.js';
import { residencyFamilies, type ResidencyCounters, type ResidencyFigures } from './metrics-residency.js';
import { GPU_FAMILIES, GpuSampler } from './metrics-gpu.js';
import { runtimeMetrics } from './metrics-runtime.js';
import type { GpuDevices } from '../devices/gpus.js';

/** Triton's content type for /metrics (spec §9). */
export const METRICS_CONTENT_TYPE = 'text/plain; charset=utf-8';

export interface MetricsOptions {
  /** `--metrics-config` entries or a parsed config; default: counters only. */
  readonly config?: MetricsConfig | readonly string[];
  /** `--metrics-interval-ms` (2000): how often the CPU and memory gauges are sampled. */
  readonly intervalMs?: number;
  /** `--allow-cpu-metrics` (true): `nv_cpu_*` gauges. */
  readonly cpuMetrics?: boolean;
  /** `--allow-gpu-metrics` (true): `nv_gpu_*` and `nv_energy_consumption` per GPU of `devices`. */
  readonly gpuMetrics?: boolean;
  /** Where the GPU figures come from (the server's nvidia-smi); absent = no GPU families. */
  readonly devices?: GpuDevices;
  /** `--pinned-memory-pool-byte-size` (268435456): reported as the pinned pool's total; nothing is pinned on CPU. */
  readonly pinnedMemoryPoolByteSize?: number;
  /**
   * `--allow-runtime-metrics` (false): the Node.js runtime families (metrics-runtime.ts) and the event-loop
   * utilization gauge even without `cpuMetrics`.
   */
  readonly runtimeMetrics?: boolean;
}

/** Where the READY model versions come from (the repository manager). */
export interface MetricsSource {
  readyModels(): readonly ServedModel[];
  /** On-demand loading and budget figures, when those are on (metrics-residency.ts). */
  residency?(): ResidencyFigures | undefined;
}

/** A family prom-client's Registry can render: its `get()` returns the samples at scrape time. */
interface Collector {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  get(): Promise<{ name: string; help: string; type: string; values: Sample[]; aggregator: 'sum' }>;
}

export class MetricsRegistry {
  readonly config: MetricsConfig;
  /** The prom-client registry holding every family; backends may register their own here. */
  readonly registry = new Registry();
  readonly #sampler: SystemSampler;
  readonly #cpu: boolean;
  readonly #runtime: boolean;
  readonly #gpu: GpuSampler | undefined;
  readonly #pinnedTotal: number;
  /** Set by the server wiring: whether a response cache exists (`--cache-config`). */
  #cacheEnabled = false;
  #source: MetricsSource | undefined;
  #residency: ResidencyCounters | undefined;

  constructor(options: MetricsOptions = {}) {
    const c = options.config;
    this.config = c === undefined ? DEFAULT_METRICS_CONFIG : isEntries(c) ? parseMetricsConfig(c) : c;
    this.#sampler = new SystemSampler(options.intervalMs ?? 2000);
    this.#cpu = options.cpuMetrics ?? true;
    this.#runtime = options.runtimeMetrics ?? false;
    this.#gpu = options.devices !== undefined && (options.gpuMetrics ?? true)
      ? new GpuSampler(options.devices, options.intervalMs ?? 2000) : undefined;
    this.#pinnedTotal = options.pinnedMemoryPoolByteSize ?? 268_435_456;
    this.#registerModelFamilies();
    this.#registerServerFamilies();
  }

  /** Binds the model source (done once the repository manager exists). */
  bind(source: MetricsSource, options: { cacheEnabled: boolean }): void {
    this.#source = source;
    this.#cacheEnabled = options.cacheEnabled;
  }

  /**
   * The loader's `onVersionLoaded` hook: gives the version its histogram/summary instruments when those
   * metrics are on (otherwise the request path keeps its single `undefined` check).
   */
  readonly attach = (stats: ModelStats, config: ModelConfig): void => {
    if (!this.config.histogramLatencies && !this.config.summaryLatencies) return;
    stats.observer = new ModelInstruments(this.config, config, this.#cacheEnabled && config.response_cache?.enable === true);
  };

  /**
   * Registers the `inferd_model_*` families of on-demand loading and budgets (once; the server wiring
   * does it when those are on) and returns the counters the repository feeds.
   */
  residencyCounters(): ResidencyCounters {
    this.#residency ??= residencyFamilies(this.registry, () => this.#source?.residency?.());
    return this.#residency;
  }

  /** Adds a family (custom collector or prom-client metric) to the scrape. */
  addFamily(metric: Metric | Collector): void {
    this.registry.registerMetric(metric as Metric);
  }

  /** Drops a family added with `addFamily` (a backend's family whose model unloaded). */
  removeFamily(name: string): void {
    this.registry.removeSingleMetric(name);
  }

  /** Starts sampling /proc every interval (also done by the first `text()`); the timer never holds the process. */
  start(): void {
    if (this.#cpu || this.#runtime) this.#sampler.start();
    void this.#gpu?.start();
  }

  /** Stops the sampler. */
  close(): void {
    this.#sampler.stop();
    this.#gpu?.stop();
  }

  /** The Prometheus text of one scrape; families without any series are left out, as in Triton. */
  async text(): Promise<string> {
    if ((this.#cpu || this.#runtime) && !this.#sampler.running) this.start();
    // The first scrape waits for the first GPU sample, so its figures are there.
    await this.#gpu?.start();
    const parts: string[] = [];
    const families = this.registry.getMetricsAsArray();
    for (const metric of this.#runtime ? [...families, ...runtimeMetrics()] : families) {
      const m = (await (metric as unknown as { get(): Promise<unknown> }).get()) as RenderedFamily;
      if (m.values.length > 0) parts.push(renderFamily(m));
    }
    return parts.join('');
  }

  #models(): ServedModel[] {
    const models = [...(this.#source?.readyModels() ?? [])];
    return models.sort((a, b) => (a.spec.name < b.spec.name ? -1 : a.spec.name > b.spec.name ? 1 : a.spec.version - b.spec.version));
  }

  #registerModelFamilies(): void {
    const cached = (m: ServedModel): boolean => this.#cacheEnabled && m.responseCache === true;
    for (const f of modelFamilies(this.config, cached)) {
      this.addFamily(collector(f.name, f.help, f.type, async () => this.#models().flatMap((m) => f.samples(m, modelLabels(m)))));
    }
    for (const f of instrumentFamilies(this.config)) {
      this.addFamily(collector(f.name, f.help, f.type, async () => {
        const out: Sample[] = [];
        for (const m of this.#models()) out.push(...await f.samples(m, modelLabels(m)));
        return out;
      }));
    }
  }

  #registerServerFamilies(): void {
    const s = this.#sampler;
    const gauge = (name: string, help: string, read: () => number): void =>
      this.addFamily(collector(name, help, 'gauge', async () => [{ labels: {}, value: read() }]));
    if (this.#cpu) {
      gauge('nv_cpu_utilization', 'CPU utilization rate [0.0 - 1.0]', () => s.utilization);
      gauge('nv_cpu_memory_total_bytes', 'CPU total memory (RAM), in bytes', () => s.memoryTotalBytes);
      gauge('nv_cpu_memory_used_bytes', 'CPU used memory (RAM), in bytes', () => s.memoryUsedBytes);
    }
    // Issue 14's gauge came with the CPU ones; it is a runtime figure too, so either flag shows it.
    if (this.#cpu || this.#runtime) {
      gauge('inferd_event_loop_utilization', 'Share of the last metrics interval the main event loop was busy [0.0 - 1.0]',
        () => s.eventLoopUtilization);
    }
    gauge('nv_pinned_memory_pool_total_bytes', 'Pinned memory pool total memory size, in bytes', () => this.#pinnedTotal);
    gauge('nv_pinned_memory_pool_used_bytes', 'Pinned memory pool used memory size, in bytes', () => 0);
    const gpu = this.#gpu;
    if (gpu !== undefined) {
      for (const f of GPU_FAMILIES) this.addFamily(collector(f.name, f.help, f.type, async () => gpu.samples(f.read)));
    }
  }
}

interface RenderedFamily {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly values: readonly { labels?: object; value: number; metricName?: string }[];
}

const escapeHelp = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Prometheus text exposition format 0.0.4, labels in the order given (the families sort them). */
function renderFamily(m: RenderedFamily): string {
  let out = `# HELP ${m.name} ${escapeHelp(m.help)}\n# TYPE ${m.name} ${m.type}\n`;
  for (const v of m.values) {
    const labels = Object.entries(v.labels ?? {}).map(([k, l]) => `${k}="${escapeLabel(String(l))}"`);
    out += `${v.metricName ?? m.name}${labels.length === 0 ? '' : `{${labels.join(',')}}`} ${formatValue(v.value)}\n`;
  }
  return out;
}

function collector(name: string, help: string, type: string, values: () => Promise<Sample[]>): Collector {
  return {
    name, help, type,
    get: async () => ({ name, help, type, values: await values(), aggregator: 'sum' }),
  };
}

function isEntries(c: MetricsConfig | readonly string[]): c is readonly string[] {
  return Array.isArray(c);
}
