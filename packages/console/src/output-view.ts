/** An inference's outputs: a table of tensors, class labels, and OCR text lines with their boxes drawn over the image. */
import { html } from 'htm/preact';
import type { OutputTensor } from './infer-request.js';

function preview(data: unknown[]): string {
  const shown = data.slice(0, 64).map((v) => (typeof v === 'number' ? +v.toPrecision(6) : v));
  return JSON.stringify(shown) + (data.length > 64 ? ` … (${data.length} values)` : '');
}

/** TEXT (lines) + BOXES ([lines,4,2] pixels): the OCR ensemble's answer. */
function Boxes({ image, text, boxes, size }: { image: string; text: OutputTensor; boxes: OutputTensor; size?: [number, number] }) {
  const pts = boxes.data as number[];
  const [w, h] = size ?? [1, 1];
  return html`<div class="stage" data-ocr>
    <img src=${image} alt="the image sent" onLoad=${(e: Event) => {
      const img = e.target as HTMLImageElement;
      img.parentElement!.querySelector('svg')!.setAttribute('viewBox', `0 0 ${img.naturalWidth} ${img.naturalHeight}`);
    }} />
    <svg viewBox=${`0 0 ${w} ${h}`} preserveAspectRatio="none" aria-hidden="true">
      ${text.data.map((_, i) => html`<polygon points=${[0, 1, 2, 3].map((k) => `${pts[i * 8 + k * 2]},${pts[i * 8 + k * 2 + 1]}`).join(' ')}
        fill="rgba(47,111,222,.15)" stroke="#e0702a" stroke-width="2" vector-effect="non-scaling-stroke" />`)}
    </svg></div>
    <ol data-ocr-lines>${text.data.map((t) => html`<li>${String(t)}</li>`)}</ol>`;
}

export function OutputView({ result, image }: { result: { outputs: OutputTensor[]; ms: number }; image?: string }) {
  const text = result.outputs.find((o) => o.name === 'TEXT' && o.datatype === 'BYTES');
  const boxes = result.outputs.find((o) => o.name === 'BOXES');
  return html`<section class="card" aria-label="Outputs" data-outputs>
    <h2>Outputs <span class="muted" data-latency>${result.ms.toFixed(1)} ms round trip</span></h2>
    ${text !== undefined && boxes !== undefined && image !== undefined ? html`<${Boxes} image=${image} text=${text} boxes=${boxes} />` : null}
    <table><thead><tr><th>name</th><th>datatype</th><th>shape</th><th>data</th></tr></thead>
      <tbody>${result.outputs.map((o) => html`<tr data-output=${o.name}><td>${o.name}</td><td>${o.datatype}</td><td>${JSON.stringify(o.shape)}</td>
        <td><code>${o.datatype === 'BYTES' && o.data.length <= 16 ? o.data.map((v) => html`<div>${String(v)}</div>`) : preview(o.data)}</code></td></tr>`)}</tbody>
    </table></section>`;
}
