/** One uPlot line chart over time; the series are redrawn on each new sample (no animation). */
import { useEffect, useRef } from 'preact/hooks';
import { html } from 'htm/preact';
import uPlot from 'uplot';

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
      axes: [{ stroke: 'currentColor' }, { stroke: 'currentColor', size: 56, values: (_u, v) => v.map((n) => `${+n.toPrecision(3)}${unit}`) }],
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
