/**
 * Live: the server's statistics and metrics sampled every 2 s while this page is open, kept for the
 * last 5 minutes; rates and per-request times are differences between two samples.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from 'htm/preact';
import { api, type ModelStats } from './api.js';
import { parseProm, type Sample } from './prom.js';
import { Chart } from './chart.js';

const EVERY_MS = 2000;
const KEEP = 150;

interface Point {
  t: number;
  stats: Map<string, ModelStats>;
  metrics: Sample[];
}

function totals(stats: Iterable<ModelStats>, pick: (s: ModelStats) => number): number {
  let n = 0;
  for (const s of stats) n += pick(s);
  return n;
}

function metric(samples: Sample[], name: string, want: Record<string, string> = {}): number | null {
  let sum = 0;
  let seen = false;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(want).some(([k, v]) => s.labels[k] !== v)) continue;
    if (!Number.isFinite(s.value)) continue;
    sum += s.value;
    seen = true;
  }
  return seen ? sum : null;
}

/** The worst value of a summary quantile over the selected models (a server-wide p99 has no exact merge). */
function quantile(samples: Sample[], q: string, model: string): number | null {
  let out: number | null = null;
  for (const s of samples) {
    if (s.name !== 'nv_inference_request_summary_us' || s.labels.quantile !== q) continue;
    if (model !== '' && s.labels.model !== model) continue;
    if (Number.isFinite(s.value)) out = Math.max(out ?? 0, s.value);
  }
  return out;
}

export function LivePage() {
  const [points, setPoints] = useState<Point[]>([]);
  const [model, setModel] = useState('');
  const [error, setError] = useState<string | undefined>();
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    let stopped = false;
    const sample = async () => {
      try {
        const [stats, text] = await Promise.all([api.stats(), api.metrics().catch(() => '')]);
        const map = new Map(stats.model_stats.map((s) => [`${s.name}`, s] as const));
        if (!stopped) setPoints((p) => [...p.slice(-KEEP + 1), { t: Date.now() / 1000, stats: map, metrics: parseProm(text) }]);
        setError(undefined);
      } catch (e) {
        setError(e instanceof Error ? e.message : String(e));
      }
      if (!stopped) timer.current = setTimeout(sample, EVERY_MS);
    };
    void sample();
    return () => {
      stopped = true;
      clearTimeout(timer.current);
    };
  }, []);

  const last = points[points.length - 1];
  const models = last === undefined ? [] : [...last.stats.keys()].sort();
  const sel = (p: Point) => (model === '' ? [...p.stats.values()] : [p.stats.get(model)].filter((s): s is ModelStats => s !== undefined));
  const x = points.slice(1).map((p) => p.t);
  const delta = (pick: (s: ModelStats) => number) => points.slice(1).map((p, i) => totals(sel(p), pick) - totals(sel(points[i]!), pick));
  const dt = points.slice(1).map((p, i) => p.t - points[i]!.t);
  const counts = delta((s) => s.inference_stats.success.count);
  /** µs per request between two samples (the statistics count ns). */
  const perReq = (pick: (s: ModelStats) => number) => delta(pick).map((v, i) => (counts[i]! > 0 ? v / counts[i]! / 1000 : null));
  const label: Record<string, string> = model === "" ? {} : { model };
  const mdelta = (name: string, want: Record<string, string>) => points.slice(1).map((p, i) => {
    const a = metric(p.metrics, name, want);
    const b = metric(points[i]!.metrics, name, want);
    return a === null || b === null ? null : Math.max(0, a - b);
  });
  const reasons = new Set<string>();
  for (const s of last?.metrics ?? []) if (s.name === 'nv_inference_request_failure' && s.labels.reason) reasons.add(s.labels.reason);
  const execs = delta((s) => s.execution_count);
  const infers = delta((s) => s.inference_count);
  const batchSizes: Map<number, number> = new Map();
  for (const s of last === undefined ? [] : sel(last)) for (const b of s.batch_stats ?? []) batchSizes.set(b.batch_size, (batchSizes.get(b.batch_size) ?? 0) + b.compute_infer.count);
  const hasSummary = (last?.metrics ?? []).some((s) => s.name === 'nv_inference_request_summary_us');
  const cpu = points.slice(1).map((p) => metric(p.metrics, 'nv_cpu_utilization'));
  const mem = points.slice(1).map((p) => { const v = metric(p.metrics, 'nv_cpu_memory_used_bytes'); return v === null ? null : v / 2 ** 20; });
  return html`
    <div class="row">
      <label>Model <select value=${model} onChange=${(e: Event) => setModel((e.target as HTMLSelectElement).value)} aria-label="Model">
        <option value="">all models (server)</option>${models.map((m) => html`<option value=${m}>${m}</option>`)}
      </select></label>
      <span class="muted">sampled every ${EVERY_MS / 1000} s, last ${Math.round((KEEP * EVERY_MS) / 60000)} minutes; ${points.length} samples</span>
      ${error ? html`<span class="error">${error}</span>` : null}
    </div>
    <div class="grid" data-live>
      <${Chart} title="Throughput" unit="/s" x=${x} series=${[{ label: 'inferences/s', values: infers.map((v, i) => v / dt[i]!) }, { label: 'executions/s', values: execs.map((v, i) => v / dt[i]!) }]} />
      <${Chart} title="Latency p50 / p99" unit="µs" x=${x} series=${[
        { label: 'p50', values: points.slice(1).map((p) => quantile(p.metrics, '0.5', model)) },
        { label: 'p99', values: points.slice(1).map((p) => quantile(p.metrics, '0.99', model)) },
      ]} />
      <${Chart} title="Queue vs compute per request" unit="µs" x=${x} series=${[
        { label: 'queue', values: perReq((s) => s.inference_stats.queue.ns) },
        { label: 'compute', values: perReq((s) => s.inference_stats.compute_input.ns + s.inference_stats.compute_infer.ns + s.inference_stats.compute_output.ns) },
      ]} />
      <${Chart} title="Cache hits / misses" unit="/s" x=${x} series=${[
        { label: 'hits', values: delta((s) => s.inference_stats.cache_hit.count).map((v, i) => v / dt[i]!) },
        { label: 'misses', values: delta((s) => s.inference_stats.cache_miss.count).map((v, i) => v / dt[i]!) },
      ]} />
      <${Chart} title="Failures by reason" unit="/s" x=${x} series=${reasons.size === 0
        ? [{ label: 'failures', values: delta((s) => s.inference_stats.fail.count).map((v, i) => v / dt[i]!) }]
        : [...reasons].sort().map((r) => ({ label: r, values: mdelta('nv_inference_request_failure', { ...label, reason: r }).map((v, i) => (v === null ? null : v / dt[i]!)) }))} />
      <${Chart} title="CPU" unit="%" x=${x} series=${[{ label: 'CPU utilization', values: cpu.map((v) => (v === null ? null : v * 100)) }]} />
      <${Chart} title="Memory" unit="MiB" x=${x} series=${[{ label: 'used (host)', values: mem }]} />
    </div>
    <section class="card">
      <h2>Batch sizes</h2>
      ${batchSizes.size === 0 ? html`<p class="muted">No executions yet.</p>` : html`<table data-batches><thead><tr><th>batch size</th><th>executions</th></tr></thead>
        <tbody>${[...batchSizes].sort((a, b) => a[0] - b[0]).map(([b, n]) => html`<tr><td>${b}</td><td>${n}</td></tr>`)}</tbody></table>`}
      ${hasSummary ? null : html`<p class="muted">p50/p99 need latency summaries: start with <code>--metrics-config summary_latencies=true</code>.</p>`}
    </section>`;
}
