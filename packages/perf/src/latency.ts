/** Client latency summary of a set of requests, through an HDR histogram (µs, 3 significant digits). */
import hdr from 'hdr-histogram-js';

/** The percentiles perf_analyzer always reports (its CSV columns). */
export const REPORTED_PERCENTILES = [50, 90, 95, 99] as const;

export interface LatencySummary {
  readonly count: number;
  readonly avgUs: number;
  readonly stdUs: number;
  readonly minUs: number;
  readonly maxUs: number;
  /** Percentile -> µs, for REPORTED_PERCENTILES and the `--percentile` value. */
  readonly percentilesUs: ReadonlyMap<number, number>;
}

export function summarizeLatencies(latenciesUs: readonly number[], extraPercentile?: number): LatencySummary {
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  for (const v of latenciesUs) h.recordValue(Math.max(1, Math.round(v)));
  const wanted = new Set<number>(REPORTED_PERCENTILES);
  if (extraPercentile !== undefined) wanted.add(extraPercentile);
  const percentilesUs = new Map<number, number>();
  for (const p of [...wanted].sort((a, b) => a - b)) percentilesUs.set(p, latenciesUs.length === 0 ? 0 : h.getValueAtPercentile(p));
  // Mean from the raw values: the histogram's mean is bucketed.
  const count = latenciesUs.length;
  const avgUs = count === 0 ? 0 : latenciesUs.reduce((a, b) => a + b, 0) / count;
  const stdUs = count === 0 ? 0 : Math.sqrt(latenciesUs.reduce((a, b) => a + (b - avgUs) ** 2, 0) / count);
  const summary: LatencySummary = {
    count, avgUs, stdUs, minUs: count === 0 ? 0 : h.minNonZeroValue, maxUs: count === 0 ? 0 : h.maxValue, percentilesUs,
  };
  h.destroy();
  return summary;
}
