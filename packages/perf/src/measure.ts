/**
 * Measurement of one load level, perf_analyzer's way: back-to-back windows of `--measurement-interval`
 * ms; a request counts in a window when it was sent and answered inside it; the level is stable once
 * three consecutive windows agree within `--stability-percentage` on throughput and on the stabilizing
 * latency (average, or `--percentile`). The result merges those three windows, client and server side.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ServerError } from 'inferd';
import { summarizeLatencies, type LatencySummary } from './latency.js';
import type { Load } from './load.js';
import { addStats, diffStats, emptyStats, type ServerStats } from './server-stats.js';

export const STABLE_WINDOWS = 3;

export interface MeasureSettings {
  readonly batchSize: number;
  readonly measurementIntervalMs: number;
  readonly stabilityPercentage: number;
  readonly maxTrials: number;
  readonly percentile: number | undefined;
  /** Reads the server's counters for the model; undefined when the server has no statistics. */
  readonly serverStats: () => Promise<ServerStats | undefined>;
  /** Called at each window end and every ~250 ms in between (progress line). */
  readonly onProgress?: (p: { trial: number; inWindow: number; elapsedMs: number }) => void;
  /** Called with each finished window (`-v`). */
  readonly onWindow?: (w: { trial: number; requestCount: number; throughput: number; latencyUs: number }) => void;
}

interface Window {
  readonly durationMs: number;
  readonly latenciesUs: number[];
  readonly server: ServerStats | undefined;
}

export interface LevelMeasurement {
  readonly stable: boolean;
  readonly trials: number;
  readonly durationMs: number;
  readonly requestCount: number;
  /** Inferences per second (requests × batch size). */
  readonly throughput: number;
  /** Requests per second actually completed. */
  readonly requestRate: number;
  readonly latency: LatencySummary;
  /** Client send/receive: 0 here; the transports hand whole requests to their client (no split). */
  readonly clientSendUs: number;
  readonly clientRecvUs: number;
  readonly server: ServerStats | undefined;
}

function stabilizingLatency(latenciesUs: readonly number[], percentile: number | undefined): number {
  const s = summarizeLatencies(latenciesUs, percentile);
  return percentile === undefined ? s.avgUs : s.percentilesUs.get(percentile)!;
}

function withinPct(values: readonly number[], pct: number): boolean {
  const max = Math.max(...values);
  const min = Math.min(...values);
  if (max === 0) return true;
  return min > 0 && max / min <= 1 + pct / 100;
}

export async function measureLevel(load: Load, s: MeasureSettings): Promise<LevelMeasurement> {
  const windows: Window[] = [];
  let before = await s.serverStats();
  let ws = performance.now();
  let stable = false;
  for (let trial = 1; trial <= s.maxTrials && !stable; trial++) {
    const end = ws + s.measurementIntervalMs;
    // Wake up a few times per window for the progress line; the window itself ends at `end`.
    while (performance.now() < end) {
      await sleep(Math.min(250, Math.max(1, end - performance.now())));
      s.onProgress?.({ trial, inWindow: load.recorder.pending, elapsedMs: performance.now() - ws });
      if (load.recorder.error !== undefined) break;
    }
    await load.sync?.();
    const we = performance.now();
    if (load.recorder.error !== undefined) {
      throw ServerError.from(load.recorder.error);
    }
    const latenciesUs = load.recorder.take()
      .filter((c) => c.startMs >= ws && c.endMs <= we)
      .map((c) => (c.endMs - c.startMs) * 1000);
    const after = await s.serverStats();
    windows.push({ durationMs: we - ws, latenciesUs, server: after && before ? diffStats(after, before) : undefined });
    before = after;
    ws = we;
    s.onWindow?.({
      trial, requestCount: latenciesUs.length, throughput: (latenciesUs.length * s.batchSize) / (windows.at(-1)!.durationMs / 1000),
      latencyUs: latenciesUs.length === 0 ? 0 : stabilizingLatency(latenciesUs, s.percentile),
    });
    if (windows.length >= STABLE_WINDOWS) {
      const last = windows.slice(-STABLE_WINDOWS);
      stable =
        last.every((w) => w.latenciesUs.length > 0) &&
        withinPct(last.map((w) => w.latenciesUs.length / w.durationMs), s.stabilityPercentage) &&
        withinPct(last.map((w) => stabilizingLatency(w.latenciesUs, s.percentile)), s.stabilityPercentage);
    }
  }
  return merge(windows.slice(-STABLE_WINDOWS), stable, windows.length, s);
}

function merge(windows: readonly Window[], stable: boolean, trials: number, s: MeasureSettings): LevelMeasurement {
  const latencies = windows.flatMap((w) => w.latenciesUs);
  const durationMs = windows.reduce((a, w) => a + w.durationMs, 0);
  let server: ServerStats | undefined = emptyStats();
  for (const w of windows) {
    if (w.server === undefined || server === undefined) server = undefined;
    else server = addStats(server, w.server);
  }
  const requestRate = latencies.length / (durationMs / 1000);
  return {
    stable, trials, durationMs, requestCount: latencies.length,
    throughput: requestRate * s.batchSize, requestRate,
    latency: summarizeLatencies(latencies, s.percentile),
    clientSendUs: 0, clientRecvUs: 0, server,
  };
}
