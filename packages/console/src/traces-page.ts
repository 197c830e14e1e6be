/**
 * Traces: the server's last finished traces (kept in memory whatever the trace sink) as timelines of
 * their timestamps. An ensemble's steps (traces whose parent_id is the ensemble's id) are drawn under it
 * on the same time axis.
 */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api, type TraceRecord } from './api.js';
import { usePoll } from './use-poll.js';

const PHASES: { label: string; from: string; to: string; color: string }[] = [
  { label: 'receive', from: 'HTTP_RECV_START', to: 'HTTP_RECV_END', color: '#8a8f99' },
  { label: 'queue', from: 'QUEUE_START', to: 'COMPUTE_START', color: '#c9a227' },
  { label: 'compute input', from: 'COMPUTE_START', to: 'COMPUTE_INPUT_END', color: '#2aa36b' },
  { label: 'compute infer', from: 'COMPUTE_INPUT_END', to: 'COMPUTE_OUTPUT_START', color: '#2f6fde' },
  { label: 'compute output', from: 'COMPUTE_OUTPUT_START', to: 'COMPUTE_END', color: '#8a63d2' },
  { label: 'send', from: 'HTTP_SEND_START', to: 'HTTP_SEND_END', color: '#e0702a' },
];

function stamp(t: TraceRecord, name: string): number | undefined {
  return t.timestamps.find((s) => s[0] === name)?.[1];
}

function Timeline({ t, start, span }: { t: TraceRecord; start: number; span: number }) {
  const first = stamp(t, 'REQUEST_START') ?? t.timestamps[0]?.[1] ?? start;
  const last = stamp(t, 'REQUEST_END') ?? t.timestamps[t.timestamps.length - 1]?.[1] ?? first;
  const pct = (ns: number) => `${(((ns - start) / span) * 100).toFixed(2)}%`;
  const width = (a: number, b: number) => `${Math.max(0.4, ((b - a) / span) * 100).toFixed(2)}%`;
  return html`<div>
    <div class="muted">${t.parentId ? '↳ ' : ''}<strong>${t.modelName}</strong> v${t.modelVersion} · id ${t.id}${t.requestId ? ` · request ${t.requestId}` : ''} · ${((last - first) / 1000).toFixed(0)} µs</div>
    <div class="timeline" role="img" aria-label=${`${t.modelName} trace ${t.id}: ${PHASES.map((p) => {
      const a = stamp(t, p.from); const b = stamp(t, p.to);
      return a !== undefined && b !== undefined ? `${p.label} ${((b - a) / 1000).toFixed(0)} µs` : '';
    }).filter(Boolean).join(', ')}`}>
      <span style=${{ left: pct(first), width: width(first, last), background: 'var(--line)' }}></span>
      ${PHASES.map((p) => {
        const a = stamp(t, p.from);
        const b = stamp(t, p.to);
        if (a === undefined || b === undefined) return null;
        return html`<span title=${`${p.label}: ${((b - a) / 1000).toFixed(1)} µs`} style=${{ left: pct(a), width: width(a, b), background: p.color }}></span>`;
      })}
    </div></div>`;
}

export function TracesPage() {
  const { data, error, refresh } = usePoll(api.traces, 3000);
  const settings = usePoll(() => api.traceSetting(), 0);
  const [message, setMessage] = useState<string | undefined>();
  const enable = async () => {
    try {
      await api.traceSetting({ trace_level: ['TIMESTAMPS'], trace_rate: '1', trace_count: '-1' });
      setMessage('tracing every request (TIMESTAMPS)');
      settings.refresh();
    } catch (e) {
      setMessage(e instanceof Error ? e.message : String(e));
    }
  };
  const traces = data?.traces ?? [];
  const roots = traces.filter((t) => !t.parentId || !traces.some((p) => p.id === t.parentId)).reverse();
  const level = settings.data?.trace_level as string[] | undefined;
  return html`
    <div class="row">
      <span class="muted">trace level: <code data-trace-level>${level?.join(', ') ?? '…'}</code>, rate ${String(settings.data?.trace_rate ?? '…')}</span>
      <button onClick=${enable}>Trace every request</button>
      <button onClick=${refresh}>Refresh</button>
      ${message ? html`<span role="status">${message}</span>` : null}
      ${error ? html`<span class="error">${error}</span>` : null}
    </div>
    <p class="legend">${PHASES.map((p) => html`<span><i style=${{ background: p.color }}></i>${p.label}</span>`)}</p>
    ${roots.length === 0 ? html`<p class="muted">No traces yet: turn tracing on, then send requests.</p>` : null}
    ${roots.slice(0, 20).map((root) => {
      const family = [root, ...traces.filter((t) => t.parentId === root.id)];
      const all = family.flatMap((t) => t.timestamps.map((s) => s[1]));
      const start = Math.min(...all);
      const span = Math.max(1, Math.max(...all) - start);
      return html`<section class="card" data-trace=${root.id}>${family.map((t) => html`<${Timeline} t=${t} start=${start} span=${span} />`)}</section>`;
    })}`;
}
