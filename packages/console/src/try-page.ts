/** Try it: a form built from a ready model's metadata and config; runs one inference and shows the code for it. */
import { useEffect, useState } from 'preact/hooks';
import { html } from 'htm/preact';
import { api, type ModelConfig, type ModelMetadata, type TensorMeta } from './api.js';
import { usePoll } from './use-poll.js';
import { audioSamples, concreteShape, defaultFit, imageToChw, inputKind, loadImage, type Fit, type InputKind, type Normalization } from './input-kinds.js';
import { buildRequest, sendInfer, type FormInput, type FormOutput, type OutputTensor } from './infer-request.js';
import { clientSnippet, curlSnippet, pythonSnippet } from './snippets.js';
import { OutputView } from './output-view.js';

interface Field { meta: TensorMeta; kind: InputKind; text: string; file?: File; url?: string; norm: Normalization; fit: Fit }

function defaultText(t: TensorMeta, batched: boolean): string {
  const n = concreteShape(t, batched).reduce((a, b) => a * b, 1);
  const fill = t.datatype === 'BYTES' ? '"text"' : t.datatype === 'BOOL' ? 'false' : '0';
  return `[${Array.from({ length: Math.min(n, 4096) }, () => fill).join(', ')}]`;
}

async function toInput(f: Field, batched: boolean, all: Field[]): Promise<FormInput> {
  const { name, datatype } = f.meta;
  switch (f.kind) {
    case 'image-bytes':
      if (f.file === undefined) throw new Error(`${name}: choose an image`);
      return { name, datatype, shape: concreteShape(f.meta, batched), bytes: new Uint8Array(await f.file.arrayBuffer()) };
    case 'image-chw': {
      if (f.url === undefined) throw new Error(`${name}: choose an image`);
      const dims = batched ? f.meta.shape.slice(1) : f.meta.shape;
      return { name, datatype, shape: concreteShape(f.meta, batched), values: imageToChw(await loadImage(f.url), dims[2]!, dims[1]!, f.norm, f.fit) };
    }
    case 'wav': {
      if (f.file === undefined) throw new Error(`${name}: choose a WAV file`);
      const rate = Number(all.find((x) => x.kind === 'sample-rate')?.text.replace(/[[\]]/g, '') || 16000);
      const samples = await audioSamples(f.file, rate);
      return { name, datatype, shape: concreteShape(f.meta, batched, samples.length), values: samples };
    }
    default: {
      let parsed: unknown;
      try {
        parsed = JSON.parse(f.text);
      } catch (e) {
        throw new Error(`${name}: not JSON (${e instanceof Error ? e.message : String(e)})`);
      }
      const values = (Array.isArray(parsed) ? parsed.flat(Infinity) : [parsed]) as (number | string | boolean)[];
      const shape = concreteShape(f.meta, batched, values.length);
      return { name, datatype, shape, values };
    }
  }
}

function Form({ model }: { model: string }) {
  const [meta, setMeta] = useState<ModelMetadata | undefined>();
  const [config, setConfig] = useState<ModelConfig | undefined>();
  const [fields, setFields] = useState<Field[]>([]);
  const [classes, setClasses] = useState<Record<string, number>>({});
  const [result, setResult] = useState<{ outputs: OutputTensor[]; ms: number } | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [sent, setSent] = useState<{ inputs: FormInput[]; outputs: FormOutput[]; json: Record<string, unknown>; params: Record<string, unknown> } | undefined>();
  const [busy, setBusy] = useState(false);
  const [lang, setLang] = useState<'curl' | 'python' | 'client'>('curl');
  useEffect(() => {
    setResult(undefined);
    setError(undefined);
    setSent(undefined);
    Promise.all([api.metadata(model), api.config(model)]).then(([m, c]) => {
      const batched = (c.max_batch_size ?? 0) > 0;
      setMeta(m);
      setConfig(c);
      setFields(m.inputs.map((t) => {
        const kind = inputKind(t, m.inputs, batched);
        const dims = batched ? t.shape.slice(1) : t.shape;
        const fit = kind === 'image-chw' ? defaultFit(dims[2]!, dims[1]!) : 'stretch';
        return { meta: t, kind, text: kind === 'sample-rate' ? '[16000]' : defaultText(t, batched), norm: '-1..1', fit };
      }));
      const labelled = ((c.output as { name: string; label_filename?: string }[] | undefined) ?? []).filter((o) => o.label_filename);
      setClasses(Object.fromEntries(labelled.map((o) => [o.name, 3])));
    }, (e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, [model]);
  if (meta === undefined || config === undefined) return html`<p class=${error ? 'error' : 'muted'}>${error ?? 'loading…'}</p>`;
  const batched = (config.max_batch_size ?? 0) > 0;
  const update = (i: number, patch: Partial<Field>) => setFields((fs) => fs.map((f, j) => (j === i ? { ...f, ...patch } : f)));
  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const inputs = await Promise.all(fields.map((f) => toInput(f, batched, fields)));
      const outputs: FormOutput[] = meta.outputs.map((o) => ({ name: o.name, datatype: o.datatype, ...(classes[o.name] ? { classification: classes[o.name] } : {}) }));
      // A sequence model takes each request as part of a sequence: this one is a whole sequence.
      const params: Record<string, unknown> = config.sequence_batching !== undefined
        ? { sequence_id: Math.floor(Math.random() * 1e9) + 1, sequence_start: true, sequence_end: true } : {};
      const req = buildRequest(inputs, outputs, params);
      setSent({ inputs, outputs, json: req.json, params });
      setResult(await sendInfer(model, req));
    } catch (e) {
      setResult(undefined);
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const image = fields.find((f) => (f.kind === 'image-bytes' || f.kind === 'image-chw') && f.url !== undefined)?.url;
  const snippet = sent === undefined ? '' : lang === 'curl'
    ? curlSnippet(location.origin, model, sent.json, sent.inputs)
    : lang === 'python' ? pythonSnippet(location.host, model, sent.inputs, sent.outputs, sent.params)
      : clientSnippet(location.origin, model, sent.inputs, sent.outputs);
  return html`
    <section class="card" aria-label="Inputs">
      <h2>Inputs</h2>
      ${fields.map((f, i) => html`<div class="row" data-input=${f.meta.name}>
        <label for=${`in-${i}`}><strong>${f.meta.name}</strong> <span class="muted">${f.meta.datatype} ${JSON.stringify(f.meta.shape)}</span></label>
        ${f.kind === 'image-bytes' || f.kind === 'image-chw' || f.kind === 'wav'
          ? html`<input id=${`in-${i}`} type="file" accept=${f.kind === 'wav' ? 'audio/wav,audio/*' : 'image/*'}
              onChange=${(e: Event) => { const file = (e.target as HTMLInputElement).files?.[0]; if (file) update(i, { file, url: URL.createObjectURL(file) }); }} />
            ${f.kind === 'image-chw' ? html`<select aria-label="Pixel scaling" value=${f.norm} onChange=${(e: Event) => update(i, { norm: (e.target as HTMLSelectElement).value as Normalization })}>
              <option value="0..1">0..1</option><option value="-1..1">-1..1</option><option value="imagenet">ImageNet mean/std</option></select>
              <select aria-label="Resize" value=${f.fit} onChange=${(e: Event) => update(i, { fit: (e.target as HTMLSelectElement).value as Fit })}>
              <option value="stretch">stretch to fit</option><option value="pad">keep aspect, pad right</option></select>` : null}`
          : html`<textarea id=${`in-${i}`} class="code" style="min-height:3rem" value=${f.text}
              onInput=${(e: Event) => update(i, { text: (e.target as HTMLTextAreaElement).value })}></textarea>`}
      </div>`)}
      ${Object.keys(classes).map((name) => html`<div class="row"><label>Top classes of ${name}
        <input type="number" min="0" value=${classes[name]} style="width:5rem"
          onInput=${(e: Event) => setClasses((c) => ({ ...c, [name]: Number((e.target as HTMLInputElement).value) }))} /></label>
        <span class="muted">(labels from label_filename; 0 = raw values)</span></div>`)}
      <div class="row"><button class="primary" disabled=${busy} onClick=${run}>Run inference</button>
        ${error ? html`<span class="error" role="alert" data-infer-error>${error}</span>` : null}</div>
    </section>
    ${result === undefined ? null : html`<${OutputView} result=${result} image=${image} />`}
    ${sent === undefined ? null : html`<section class="card" aria-label="Code for this request">
      <div class="row tabs-inline" role="group" aria-label="Language">
        <button aria-pressed=${lang === 'curl'} onClick=${() => setLang('curl')}>curl</button>
        <button aria-pressed=${lang === 'python'} onClick=${() => setLang('python')}>tritonclient (Python)</button>
        <button aria-pressed=${lang === 'client'} onClick=${() => setLang('client')}>@inferd/client</button>
      </div><pre data-snippet=${lang} tabindex="0">${snippet}</pre></section>`}`;
}

export function TryPage() {
  const { data, error } = usePoll(api.index, 0);
  const [model, setModel] = useState<string | undefined>(() => new URLSearchParams(location.hash.split('?')[1] ?? '').get('model') ?? undefined);
  if (data === undefined) return html`<p class=${error ? 'error' : 'muted'}>${error ?? 'loading…'}</p>`;
  const ready = [...new Set(data.filter((r) => r.state === 'READY').map((r) => r.name))].sort();
  const current = model !== undefined && ready.includes(model) ? model : ready[0];
  return html`
    <div class="row"><label>Model <select aria-label="Model to try" value=${current} onChange=${(e: Event) => setModel((e.target as HTMLSelectElement).value)}>
      ${ready.map((m) => html`<option value=${m}>${m}</option>`)}</select></label></div>
    ${current === undefined ? html`<p class="muted">No model is ready.</p>` : html`<${Form} key=${current} model=${current} />`}`;
}
