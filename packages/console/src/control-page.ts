/** Control (explicit model control): load, unload, and reload with a config edited here. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from 'htm/preact';
import { api, type IndexRow } from './api.js';
import { usePoll } from './use-poll.js';
import { Reason, StateBadge } from './models-page.js';
import { validateConfig } from './validate-config.js';

function Editor({ name, onDone, onClose }: { name: string; onDone: () => void; onClose: () => void }) {
  const [text, setText] = useState('');
  const [errors, setErrors] = useState<string[]>([]);
  const [result, setResult] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const area = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    setErrors([]);
    setResult(undefined);
    // The editor opens above the table: bring it into view and give it the keyboard.
    area.current?.scrollIntoView({ block: 'nearest' });
    area.current?.focus();
    api.config(name).then(
      (c) => setText(JSON.stringify(c, null, 2)),
      () => setText(JSON.stringify({ name }, null, 2)),
    );
  }, [name]);
  const send = async () => {
    const found = validateConfig(text, name);
    setErrors(found);
    setResult(undefined);
    if (found.length > 0) return;
    setBusy(true);
    try {
      await api.load(name, JSON.stringify(JSON.parse(text)));
      setResult(`loaded ${name} with the edited config`);
    } catch (e) {
      setErrors([e instanceof Error ? e.message : String(e)]);
    } finally {
      setBusy(false);
      onDone();
    }
  };
  return html`
    <section class="card" aria-label=${`Edit the config of ${name}`}>
      <h2>Config of ${name}</h2>
      <label class="muted" for="config-editor">JSON, as GET /v2/models/${name}/config renders it; sent as the load's <code>config</code> parameter.</label>
      <textarea id="config-editor" ref=${area} class="code" spellcheck="false" value=${text} aria-invalid=${errors.length > 0}
        aria-describedby="config-errors" onInput=${(e: Event) => setText((e.target as HTMLTextAreaElement).value)}></textarea>
      <div class="row">
        <button onClick=${() => setErrors(validateConfig(text, name))}>Validate</button>
        <button onClick=${onClose}>Close</button>
        <button class="primary" disabled=${busy} onClick=${send}>Load with this config</button>
        ${result ? html`<span class="ok" role="status">${result}</span>` : null}
      </div>
      <div id="config-errors" role="alert" data-errors>${errors.map((e) => html`<p class="error">${e}</p>`)}</div>
    </section>`;
}

export function ControlPage() {
  const { data, error, refresh } = usePoll(api.index, 3000);
  const [editing, setEditing] = useState<string | undefined>();
  const [messages, setMessages] = useState<Record<string, string>>({});
  const act = async (row: IndexRow, what: 'load' | 'unload') => {
    setMessages((m) => ({ ...m, [row.name]: `${what}ing…` }));
    try {
      await (what === 'load' ? api.load(row.name) : api.unload(row.name));
      setMessages((m) => ({ ...m, [row.name]: `${what}ed` }));
    } catch (e) {
      setMessages((m) => ({ ...m, [row.name]: e instanceof Error ? e.message : String(e) }));
    }
    refresh();
  };
  if (data === undefined) return html`<p class=${error ? 'error' : 'muted'}>${error ?? 'loading…'}</p>`;
  const rows = [...data].sort((a, b) => a.name.localeCompare(b.name));
  return html`
    ${editing === undefined ? null : html`<${Editor} name=${editing} onDone=${refresh} onClose=${() => setEditing(undefined)} />`}
    <p class="muted">Loading and unloading work when the server runs with <code>--model-control-mode=explicit</code>; otherwise the server's refusal is shown.</p>
    <table aria-label="Model control">
      <thead><tr><th>model</th><th>state</th><th>actions</th><th>result</th></tr></thead>
      <tbody>${rows.map((r) => html`<tr data-control=${r.name}>
        <td>${r.name}${r.version ? html` <span class="muted">v${r.version}</span>` : null}</td>
        <td><${StateBadge} state=${r.state} />${r.reason ? html`<div><${Reason} text=${r.reason} /></div>` : null}</td>
        <td class="row actions">
          <button onClick=${() => act(r, 'load')} aria-label=${`Load ${r.name}`}>Load</button>
          <button onClick=${() => act(r, 'unload')} aria-label=${`Unload ${r.name}`}>Unload</button>
          <button onClick=${() => setEditing(r.name)} aria-label=${`Edit the config of ${r.name}`}>Edit config</button>
        </td>
        <td data-message>${messages[r.name] ?? ''}</td></tr>`)}</tbody>
    </table>`;
}
