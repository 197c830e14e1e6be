/**
 * Output in perf_analyzer's shape: the per-level block (Client / Server), the closing
 * "Inferences/Second vs. Client ... Latency" summary, and the `-f` CSV with its exact header
 * (ReportWriter::GenerateReport: cache columns only when the model caches responses, the verbose
 * columns only with `--verbose-csv`, rows sorted by increasing throughput, times in whole µs).
 */
import { REPORTED_PERCENTILES } from './latency.js';
import type { LevelMeasurement } from './measure.js';
import { avgUs, type ServerStats } from './server-stats.js';

export type LoadMode = 'concurrency' | 'request-rate';

export interface LevelResult extends LevelMeasurement {
  readonly mode: LoadMode;
  /** Concurrency or requests/s target. */
  readonly value: number;
}

export interface CsvSettings {
  readonly mode: LoadMode;
  readonly includeServerStats: boolean;
  readonly responseCache: boolean;
  readonly verbose: boolean;
  readonly percentile: number | undefined;
}

const us = (v: number): number => Math.floor(v);

/** Average of the server's compute components (input + infer + output) per compute sample. */
function computeUs(s: ServerStats): number {
  return avgUs(s.computeInput) + avgUs(s.computeInfer) + avgUs(s.computeOutput);
}

/** What the client waited beyond the server's queue+compute: network and (de)serialization. */
export function networkUs(r: LevelMeasurement): number {
  if (r.server === undefined) return 0;
  const wait = r.latency.avgUs - r.clientSendUs - r.clientRecvUs;
  const accounted = avgUs(r.server.queue) + computeUs(r.server) + avgUs(r.server.cacheHit) + avgUs(r.server.cacheMiss);
  return Math.max(0, wait - accounted);
}

export function csvHeader(s: CsvSettings): string {
  const cols = [s.mode === 'concurrency' ? 'Concurrency' : 'Request Rate', 'Inferences/Second', 'Client Send'];
  if (s.includeServerStats) {
    cols.push('Network+Server Send/Recv', 'Server Queue', 'Server Compute Input', 'Server Compute Infer', 'Server Compute Output');
    if (s.responseCache) cols.push('Server Cache Hit', 'Server Cache Miss');
  }
  cols.push('Client Recv', ...REPORTED_PERCENTILES.map((p) => `p${p} latency`));
  if (s.verbose) {
    if (s.percentile === undefined) cols.push('Avg latency');
    cols.push('request/response', 'response wait');
  }
  return cols.join(',');
}

export function csvRow(r: LevelResult, s: CsvSettings): string {
  const cells: (number | string)[] = [r.value, Number(r.throughput.toFixed(4)), us(r.clientSendUs)];
  if (s.includeServerStats) {
    const sv = r.server!;
    cells.push(us(networkUs(r)), us(avgUs(sv.queue)), us(avgUs(sv.computeInput)), us(avgUs(sv.computeInfer)), us(avgUs(sv.computeOutput)));
    if (s.responseCache) cells.push(us(avgUs(sv.cacheHit)), us(avgUs(sv.cacheMiss)));
  }
  cells.push(us(r.clientRecvUs), ...REPORTED_PERCENTILES.map((p) => us(r.latency.percentilesUs.get(p) ?? 0)));
  if (s.verbose) {
    if (s.percentile === undefined) cells.push(us(r.latency.avgUs));
    cells.push(us(r.clientSendUs + r.clientRecvUs), us(r.latency.avgUs - r.clientSendUs - r.clientRecvUs));
  }
  return cells.join(',');
}

export function csvText(results: readonly LevelResult[], s: CsvSettings): string {
  const rows = [...results].sort((a, b) => a.throughput - b.throughput).map((r) => csvRow(r, s));
  return [csvHeader(s), ...rows].join('\n') + '\n';
}

const fmt = (v: number): string => String(Number(v.toFixed(2)));

function levelTitle(r: LevelResult): string {
  return r.mode === 'concurrency' ? `Request concurrency: ${r.value}` : `Request Rate: ${r.value} inference requests per seconds`;
}

/** The block perf_analyzer prints after each level. */
export function levelText(r: LevelResult, batchSize: number): string {
  const lines = [levelTitle(r), '  Client: ', `    Request count: ${r.requestCount}`];
  lines.push(`    Throughput: ${fmt(r.throughput)} infer/sec`);
  if (r.mode === 'request-rate') lines.push(`    Achieved request rate: ${fmt(r.requestRate)} requests/sec`);
  lines.push(`    Avg latency: ${us(r.latency.avgUs)} usec (standard deviation ${us(r.latency.stdUs)} usec)`);
  for (const [p, v] of r.latency.percentilesUs) lines.push(`    p${p} latency: ${us(v)} usec`);
  if (r.server !== undefined) {
    const s = r.server;
    const overhead = Math.max(0, avgUs(s.success) - avgUs(s.queue) - computeUs(s) - avgUs(s.cacheHit) - avgUs(s.cacheMiss));
    lines.push('  Server: ');
    lines.push(`    Inference count: ${s.inferenceCount}`);
    lines.push(`    Execution count: ${s.executionCount}`);
    lines.push(`    Successful request count: ${s.success.count}`);
    lines.push(
      `    Avg request latency: ${us(avgUs(s.success))} usec (overhead ${us(overhead)} usec + queue ${us(avgUs(s.queue))} usec` +
        ` + compute input ${us(avgUs(s.computeInput))} usec + compute infer ${us(avgUs(s.computeInfer))} usec` +
        ` + compute output ${us(avgUs(s.computeOutput))} usec)`,
    );
    if (s.executionCount > 0) lines.push(`    Avg batch size: ${fmt(s.inferenceCount / s.executionCount)} (client batch ${batchSize})`);
  }
  if (!r.stable) lines.push(`  Warning: not stable within the stability percentage after ${r.trials} windows; figures are from the last ${Math.min(3, r.trials)}`);
  return lines.join('\n') + '\n';
}

/** The closing summary, one line per level. */
export function summaryText(results: readonly LevelResult[], percentile: number | undefined): string {
  const title = `Inferences/Second vs. Client ${percentile === undefined ? 'Average Batch Latency' : `p${percentile} Batch Latency`}`;
  const lines = results.map((r) => {
    const lat = percentile === undefined ? r.latency.avgUs : (r.latency.percentilesUs.get(percentile) ?? 0);
    const label = r.mode === 'concurrency' ? `Concurrency: ${r.value}` : `Request Rate: ${r.value}`;
    return `${label}, throughput: ${fmt(r.throughput)} infer/sec, latency ${us(lat)} usec`;
  });
  return [title, ...lines].join('\n') + '\n';
}
