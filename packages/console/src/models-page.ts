/** Models: every model and version with its state and reason; the selected one's settings and config. */
import { useState } from 'preact/hooks';
import { html } from 'htm/preact';
import { api, type IndexRow, type ModelConfig } from './api.js';
import { usePoll } from './use-poll.js';
import { configToPbtxt } from './pbtxt.js';

/** Puts a `file:line:col` found in a load failure into its own element, so the place stands out. */
export function Reason({ text }: { text: string }) {
  const m = /(\S+?\.(?:pbtxt|py|onnx|json|txt)(?::\d+){1,2})/.exec(text);
  if (m === null) return html`<span class="error">${text}</span>`;
  const at = m.index;
  return html`<span class="error">${text.slice(0, at)}<code class="where" data-where>${m[1]}</code>${text.slice(at + m[1]!.length)}</span>`;
}

export function StateBadge({ state }: { state?: string }) {
  // A model never loaded (explicit mode) has no state in the index: say so rather than UNKNOWN.
  return html`<span class=${`state ${state ?? ''}`}>${state ?? 'NOT LOADED'}</span>`;
}

function batching(c: ModelConfig): string {
  const parts = [`max_batch_size ${c.max_batch_size ?? 0}`];
  const db = c.dynamic_batching as Record<string, unknown> | undefined;
  if (db !== undefined) {
    const pref = (db.preferred_batch_size as number[] | undefined) ?? [];
    parts.push(`dynamic batching (delay ${db.max_queue_delay_microseconds ?? 0} µs${pref.length ? `, preferred ${pref.join('/')}` : ''})`);
  }
  if (c.sequence_batching !== undefined) parts.push('sequence batching');
  if (c.ensemble_scheduling !== undefined) parts.push('ensemble');
  return parts.join(' · ');
}

function instanceGroups(c: ModelConfig): string {
  const groups = (c.instance_group as { count?: number; kind?: string; name?: string }[] | undefined) ?? [];
  if (groups.length === 0) return '—';
  return groups.map((g) => `${g.count ?? 1} × ${g.kind ?? 'KIND_AUTO'}${g.name ? ` (${g.name})` : ''}`).join(', ');
}

function ModelDetail({ row }: { row: IndexRow }) {
  const [view, setView] = useState<'pbtxt' | 'json'>('pbtxt');
  const { data: config, error } = usePoll(() => api.config(row.name), 0, [row.name, row.state]);
  return html`
    <section class="card" aria-label=${`Model ${row.name}`} data-model-detail=${row.name}>
      <h2>${row.name} <${StateBadge} state=${row.state} /></h2>
      ${row.reason ? html`<p><${Reason} text=${row.reason} /></p>` : null}
      ${config === undefined
        ? html`<p class="muted">${error ?? 'loading config…'}</p>`
        : html`
          <div class="kv">
            <span class="muted">platform / backend</span><span data-field="platform">${config.platform || '—'} / ${config.backend || '—'}</span>
            <span class="muted">versions</span><span>${row.version ?? '—'}</span>
            <span class="muted">instance groups</span><span data-field="instances">${instanceGroups(config)}</span>
            <span class="muted">batching</span><span data-field="batching">${batching(config)}</span>
          </div>
          <div class="row tabs-inline" role="group" aria-label="Config format">
            <button aria-pressed=${view === 'pbtxt'} onClick=${() => setView('pbtxt')}>config.pbtxt</button>
            <button aria-pressed=${view === 'json'} onClick=${() => setView('json')}>JSON</button>
          </div>
          <pre data-config=${view} tabindex="0">${view === 'pbtxt' ? configToPbtxt(config) : JSON.stringify(config, null, 2)}</pre>`}
    </section>`;
}

export function ModelsPage() {
  const { data, error } = usePoll(api.index, 5000);
  const [selected, setSelected] = useState<string | undefined>();
  if (data === undefined) return html`<p class=${error ? 'error' : 'muted'}>${error ?? 'loading…'}</p>`;
  const rows = [...data].sort((a, b) => a.name.localeCompare(b.name));
  const current = rows.find((r) => r.name === selected) ?? rows[0];
  const ready = rows.filter((r) => r.state === 'READY').length;
  return html`
    <p class="muted">${rows.length} model versions, ${ready} ready</p>
    <div class="split">
      <ul class="list" aria-label="Models">
        ${rows.map((r) => html`<li><button aria-current=${r === current} data-model=${r.name}
          onClick=${() => setSelected(r.name)}><span>${r.name}${r.version ? html` <span class="muted">v${r.version}</span>` : null}</span>
          <${StateBadge} state=${r.state} /></button></li>`)}
      </ul>
      <div>
        ${current === undefined ? html`<p class="muted">The repository is empty.</p>` : html`<${ModelDetail} row=${current} />`}
        <table aria-label="All models">
          <thead><tr><th>model</th><th>version</th><th>state</th><th>reason</th></tr></thead>
          <tbody>${rows.map((r) => html`<tr data-row=${r.name}><td>${r.name}</td><td>${r.version ?? ''}</td>
            <td><${StateBadge} state=${r.state} /></td><td>${r.reason ? html`<${Reason} text=${r.reason} />` : ''}</td></tr>`)}</tbody>
        </table>
      </div>
    </div>`;
}
