/**
 * `pb_utils.MetricFamily` / `Metric` on the server's /metrics (spec §9, §10).
 *
 * Push, not pull: the stub sends each `increment` / `set` / `observe` as a small fire-and-forget frame and
 * the value lives here. Why: a series is shared by every stub that creates the same family name and
 * label set (Triton's registry is process-wide, prometheus-cpp hands back the existing series), so two
 * instances incrementing one counter must add up and a gauge must hold the last `set`, which only one
 * owner of the value can do; a scrape never waits on a stub that is busy or restarting; and the op frames
 * travel on the same socket before the response frame, so a client that has its response sees the update
 * on its next scrape. Creating a family or metric and `value()` are round trips (Triton's are too), so
 * conflicts raise in the model as in Triton.
 *
 * Lifetime: handles are owned by a `PythonMetricOwner`, one per model instance (not per stub process).
 * Python drops a handle when its object is garbage collected (as Triton deletes the series); a crashed
 * stub drops nothing, so after the restart `initialize()` finds its series again with their values (in
 * Triton the parent's series also outlive a killed stub). Unloading the model releases every handle of
 * its instances; a family without owners leaves /metrics.
 */
import { ServerError } from '../../core/index.js';
import type { BackendMetricFamily, BackendMetricSample, BackendMetrics } from '../contract.js';
import type { FrameHead } from './framing.js';

type Kind = 'counter' | 'gauge' | 'histogram';
/** `MetricFamily.COUNTER | GAUGE | HISTOGRAM` as the stub numbers them. */
const KINDS: readonly Kind[] = ['counter', 'gauge', 'histogram'];

interface Series {
  readonly labels: Readonly<Record<string, string>>;
  refs: number;
  value: number;
  /** Histogram: upper bounds (without +Inf), per-bucket (non-cumulative) counts, sum and count. */
  readonly buckets?: readonly number[];
  readonly counts?: number[];
  sum: number;
  count: number;
}

interface Family {
  readonly name: string;
  readonly help: string;
  readonly kind: Kind;
  refs: number;
  readonly series: Map<string, Series>;
}

type Handle = { readonly family: Family } | { readonly family: Family; readonly key: string; readonly series: Series };

const stores = new WeakMap<BackendMetrics, PythonMetricStore>();

/** Every Python family of one server (one metrics registry). */
export class PythonMetricStore {
  readonly #target: BackendMetrics;
  readonly #families = new Map<string, Family>();
  readonly #handles = new Map<number, Handle>();
  #nextHandle = 1;

  private constructor(target: BackendMetrics) {
    this.#target = target;
  }

  /** The store of `target` (a server's registry), created on first use. */
  static of(target: BackendMetrics): PythonMetricStore {
    let store = stores.get(target);
    if (store === undefined) {
      store = new PythonMetricStore(target);
      stores.set(target, store);
    }
    return store;
  }

  /** A new owner: one model instance's handles. */
  owner(): PythonMetricOwner {
    return new PythonMetricOwner(this);
  }

  /** `MetricFamily(name, description, kind)`: the family of that name (created, or shared when the kind matches). */
  createFamily(name: string, help: string, kind: Kind): number {
    let family = this.#families.get(name);
    if (family !== undefined && family.kind !== kind) {
      throw ServerError.invalidArg(`Family name '${name}' already exists with different type (${family.kind}, not ${kind})`);
    }
    if (family === undefined) {
      // As prometheus-cpp: a second family of the same name and type is the first one (its help text stays).
      family = { name, help, kind, refs: 0, series: new Map() };
      try {
        this.#target.addFamily(collector(family));
      } catch (err) {
        throw ServerError.invalidArg(`MetricFamily '${name}': the name is taken by another metric family of the server (${errorText(err)})`);
      }
      this.#families.set(name, family);
    }
    family.refs++;
    return this.#add({ family });
  }

  /** `family.Metric(labels, buckets)`: the series of that label set (created, or shared). */
  createMetric(familyHandle: number, labels: Record<string, string>, buckets: readonly number[] | undefined): number {
    const h = this.#handles.get(familyHandle);
    if (h === undefined || 'series' in h) throw ServerError.invalidArg('Failed to create metric: unknown metric family');
    const family = h.family;
    const key = labelKey(labels);
    let series = family.series.get(key);
    if (series === undefined) {
      const hist = family.kind === 'histogram' ? { buckets: [...(buckets ?? [])], counts: new Array<number>((buckets ?? []).length + 1).fill(0) } : {};
      series = { labels: sortedLabels(labels), refs: 0, value: 0, sum: 0, count: 0, ...hist };
      family.series.set(key, series);
    }
    series.refs++;
    return this.#add({ family, key, series });
  }

  /** `increment` / `set` / `observe`; the stub has validated the operation against the kind. */
  apply(handle: number, op: string, value: number): void {
    const h = this.#handles.get(handle);
    if (h === undefined || !('series' in h) || Number.isNaN(value) && op !== 'set') return;
    const s = h.series;
    if (op === 'increment' && h.family.kind !== 'histogram') {
      if (h.family.kind === 'counter' && !(value >= 0)) return;
      s.value += value;
    } else if (op === 'set' && h.family.kind === 'gauge') {
      s.value = value;
    } else if (op === 'observe' && s.buckets !== undefined && s.counts !== undefined) {
      let i = s.buckets.findIndex((b) => value <= b);
      if (i < 0) i = s.buckets.length;
      s.counts[i]!++;
      s.sum += value;
      s.count++;
    }
  }

  value(handle: number): number {
    const h = this.#handles.get(handle);
    if (h === undefined || !('series' in h)) throw ServerError.invalidArg('Failed to get metric value: unknown metric');
    if (h.family.kind === 'histogram') throw ServerError.unsupported('value() is not supported for histogram metrics');
    return h.series.value;
  }

  /** Drops one handle: a series without handles leaves its family, a family without handles leaves /metrics. */
  release(handle: number): void {
    const h = this.#handles.get(handle);
    if (h === undefined) return;
    this.#handles.delete(handle);
    if ('series' in h) {
      if (--h.series.refs === 0 && h.family.series.get(h.key) === h.series) h.family.series.delete(h.key);
      return;
    }
    if (--h.family.refs === 0 && this.#families.get(h.family.name) === h.family) {
      this.#families.delete(h.family.name);
      this.#target.removeFamily(h.family.name);
    }
  }

  #add(h: Handle): number {
    const id = this.#nextHandle++;
    this.#handles.set(id, h);
    return id;
  }
}

/**
 * One model instance's side of the metric frames: answers the stub's calls and remembers its handles, so
 * that `close()` (unload) releases whatever the model still held. Survives stub restarts.
 */
export class PythonMetricOwner {
  readonly #store: PythonMetricStore;
  readonly #handles = new Set<number>();
  #closed = false;

  constructor(store: PythonMetricStore) {
    this.#store = store;
  }

  /** Handles a `metric_*` frame; `send` answers the stub that sent it. */
  onFrame(head: FrameHead, send: (head: FrameHead) => void): void {
    const id = head['id'];
    const answer = (fields: Record<string, unknown>): void => {
      try {
        send({ t: 'metric_result', id, ...fields });
      } catch {
        // The stub is gone; nobody waits for the answer.
      }
    };
    try {
      // A stub still talking after the unload: nothing new may outlive the model.
      if (this.#closed && head.t !== 'metric_delete') throw ServerError.unavailable('the model was unloaded');
      switch (head.t) {
        case 'metric_family': {
          const kind = KINDS[Number(head['kind'])];
          if (kind === undefined) throw ServerError.invalidArg(`unknown metric kind ${String(head['kind'])}`);
          const handle = this.#store.createFamily(String(head['name']), String(head['description'] ?? ''), kind);
          this.#handles.add(handle);
          answer({ handle });
          return;
        }
        case 'metric_new': {
          const buckets = Array.isArray(head['buckets']) ? (head['buckets'] as unknown[]).map(Number) : undefined;
          const handle = this.#store.createMetric(Number(head['family']), stringLabels(head['labels']), buckets);
          this.#handles.add(handle);
          answer({ handle });
          return;
        }
        case 'metric_op':
          this.#store.apply(Number(head['handle']), String(head['op']), wireNumber(head['value']));
          return;
        case 'metric_value':
          answer({ value: this.#store.value(Number(head['handle'])) });
          return;
        case 'metric_delete':
          for (const h of (head['handles'] as unknown[] | undefined) ?? []) this.#release(Number(h));
          return;
        default:
          return;
      }
    } catch (err) {
      if (id !== undefined) answer({ error: { message: errorText(err) } });
    }
  }

  /** Releases every handle still held (the model unloads). */
  close(): void {
    this.#closed = true;
    for (const h of [...this.#handles]) this.#release(h);
  }

  #release(handle: number): void {
    if (!this.#handles.delete(handle)) return;
    this.#store.release(handle);
  }
}

/** JSON has no infinities: the stub sends them (and NaN) as the strings `+Inf`, `-Inf`, `NaN`. */
function wireNumber(raw: unknown): number {
  if (raw === '+Inf') return Infinity;
  if (raw === '-Inf') return -Infinity;
  return typeof raw === 'number' ? raw : NaN;
}

function stringLabels(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === null || typeof raw !== 'object') return out;
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) out[k] = String(v);
  return out;
}

function sortedLabels(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function labelKey(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(sortedLabels(labels)));
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function formatBound(b: number): string {
  return b === Infinity ? '+Inf' : String(b);
}

/** The prom-client custom collector of one family: series sorted by label set, histograms as `_bucket`/`_sum`/`_count`. */
function collector(family: Family): BackendMetricFamily {
  const samples = (): BackendMetricSample[] => {
    const out: BackendMetricSample[] = [];
    const keys = [...family.series.keys()].sort();
    for (const key of keys) {
      const s = family.series.get(key)!;
      if (s.buckets === undefined || s.counts === undefined) {
        out.push({ labels: s.labels, value: s.value });
        continue;
      }
      let cumulative = 0;
      [...s.buckets, Infinity].forEach((bound, i) => {
        cumulative += s.counts![i]!;
        out.push({ metricName: `${family.name}_bucket`, labels: sortedLabels({ ...s.labels, le: formatBound(bound) }), value: cumulative });
      });
      out.push({ metricName: `${family.name}_sum`, labels: s.labels, value: s.sum });
      out.push({ metricName: `${family.name}_count`, labels: s.labels, value: s.count });
    }
    return out;
  };
  return {
    name: family.name,
    help: family.help,
    type: family.kind,
    get: async () => ({ name: family.name, help: family.help, type: family.kind, values: samples(), aggregator: 'sum' }),
  };
}
