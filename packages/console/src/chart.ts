/** One uPlot line chart over time; the series are redrawn on each new sample (no animation). */
import { useEffect, useRef } from 'preact/hooks';
import { html } from 'htm/preact';
import uPlot from 'uplot';

/** 1234567 → 1.23M: axis labels stay short enough for a phone. */
function compact(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e9) return `${+(n / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${+(n / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${+(n / 1e3).toPrecision(3)}k`;
  return `${+n.toPrecision(3)}`;
}

/** The x axis always spans the last `WINDOW_S` seconds, however few samples there are yet. */
const WINDOW_S = 300;

const COLORS = ['#2f6fde', '#e0702a', '#2aa36b', '#c2408a', '#8a63d2', '#c9a227'];

export function Chart({ title, unit, x, series }: { title: string; unit: string; x: number[]; series: { label: string; values: (number | null)[] }[] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const key = series.map((s) => s.label).join('|');
  useEffect(() => {
    const el = box.current!;
    const opts: uPlot.Options = {
      width: Math.max(260, el.clientWidth),
      height: 170,
      legend: { show: true },
      scales: { x: { time: true, range: (_u, _min, max) => [max - WINDOW_S, max] }, y: { range: (_u, min, max) => [Math.min(0, min), Math.max(1e-9, max) * 1.1] } },
      axes: [{ stroke: 'currentColor' }, { stroke: 'currentColor', size: 64, values: (_u, v) => v.map((n) => `${compact(n)}${unit}`) }],
      series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length]!, width: 2, spanGaps: true }))],
    };
    plot.current = new uPlot(opts, [x, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    const onResize = () => plot.current?.setSize({ width: Math.max(260, el.clientWidth), height: 170 });
    addEventListener('resize', onResize);
    return () => {
      removeEventListener('resize', onResize);
      plot.current?.destroy();
    };
  }, [key]);
  useEffect(() => {
    plot.current?.setData([x, ...series.map((s) => s.values)] as uPlot.AlignedData);
  });
  return html`<figure class="card chart" data-chart=${title} style="margin:0">
    <h3>${title}</h3><div ref=${box} role="img" aria-label=${`${title} chart`}></div></figure>`;
}
