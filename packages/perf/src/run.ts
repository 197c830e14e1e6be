/**
 * One inferd-perf run: model metadata -> inputs -> for each load level, a load and its measurement ->
 * perf_analyzer-shaped report and CSV. Used by the CLI and by `--sweep`; callers may pass their own
 * transport (the sweep does, tests do).
 */
import { writeFileSync } from 'node:fs';
import { ServerError } from 'inferd';
import { buildInputSets } from './input-data.js';
import { ConcurrencyLoad, RequestRateLoad, type Load } from './load.js';
import { WorkerPool } from './load-workers.js';
import { measureLevel } from './measure.js';
import { modelInfo, type ModelInfo } from './model-info.js';
import { openTransport } from './open-transport.js';
import type { PerfOptions } from './options.js';
import { Progress, type ProgressStream } from './progress.js';
import { rangeValues } from './ranges.js';
import { csvText, levelText, summaryText, type CsvSettings, type LevelResult, type LoadMode } from './report.js';
import { parseModelStats, type ServerStats } from './server-stats.js';
import type { Transport } from './transport.js';

export interface PerfIo {
  /** Report text (stdout for the CLI). */
  readonly out: { write(text: string): unknown };
  /** Progress line; only drawn when it is a TTY. */
  readonly progress?: ProgressStream;
  /** Use this transport instead of opening one from the options (not closed by the run). */
  readonly transport?: Transport;
  /** Print nothing but warnings (the sweep's inner runs). */
  readonly quiet?: boolean;
}

export interface PerfRun {
  readonly model: ModelInfo;
  readonly mode: LoadMode;
  readonly results: readonly LevelResult[];
  /** The CSV text (also written to `-f` when set). */
  readonly csv: string;
}

function settingsText(o: PerfOptions, transport: string, mode: LoadMode): string {
  const lines = [
    '*** Measurement Settings ***',
    `  Batch size: ${o.batchSize}`,
    `  Service Kind: ${transport}`,
    '  Using "time_windows" mode for stabilization',
    `  Stabilizing using ${o.percentile === undefined ? 'average latency and throughput' : `p${o.percentile} latency and throughput`}`,
    `  Measurement window: ${o.measurementIntervalMs} msec`,
  ];
  if (mode === 'request-rate') lines.push(`  Using ${o.requestDistribution} distribution of request arrivals`);
  if (o.latencyThresholdMs > 0) lines.push(`  Latency limit: ${o.latencyThresholdMs} msec`);
  lines.push('  Using asynchronous calls for inference');
  if (o.workers > 1) lines.push(`  Using ${o.workers} load generator threads`);
  if (o.sharedMemory !== 'none') lines.push(`  Using ${o.sharedMemory} shared memory for inputs and outputs`);
  if (o.streaming) lines.push('  Using streaming inference');
  return lines.join('\n') + '\n\n';
}

export async function runPerf(o: PerfOptions, io: PerfIo): Promise<PerfRun> {
  const transport = io.transport ?? (await openTransport(o));
  try {
    return await runWith(transport, o, io);
  } finally {
    if (io.transport === undefined) await transport.close();
  }
}

async function runWith(transport: Transport, o: PerfOptions, io: PerfIo): Promise<PerfRun> {
  const model = modelInfo(
    await transport.modelMetadata(o.modelName, o.modelVersion),
    await transport.modelConfig(o.modelName, o.modelVersion),
  );
  if (model.sequenceBatching) {
    throw ServerError.unsupported(`model '${model.name}' uses sequence batching: sequence loads (--sequence-length, ...) are not supported yet`);
  }
  if (model.decoupled && transport.kind === 'http') {
    throw ServerError.unsupported(`model '${model.name}' is decoupled: use -i grpc --streaming or -i inprocess`);
  }
  if (model.decoupled && transport.kind === 'grpc' && !o.streaming) {
    throw ServerError.unsupported(`model '${model.name}' is decoupled: add --streaming`);
  }
  const sets = buildInputSets(model, o);
  if (o.workers > 1 && transport.kind === 'inprocess') {
    throw ServerError.invalidArg('--workers needs -i http or -i grpc (in-process requests run on the server\'s own thread)');
  }
  // With --workers the threads prepare their own requests; the main thread only measures.
  const pool = o.workers > 1 ? await WorkerPool.open(o.workers, { options: o, sets }) : undefined;
  try {
    return await measureAll(transport, o, io, model, sets, pool);
  } finally {
    await pool?.close();
  }
}

async function measureAll(
  transport: Transport, o: PerfOptions, io: PerfIo, model: ModelInfo, sets: ReturnType<typeof buildInputSets>, pool: WorkerPool | undefined,
): Promise<PerfRun> {
  const say = (text: string): void => {
    if (io.quiet !== true) io.out.write(text);
  };
  const requests = pool !== undefined ? [] : await Promise.all(sets.map((s) => transport.prepare(o.modelName, o.modelVersion, s)));
  const mode: LoadMode = o.requestRateRange !== undefined ? 'request-rate' : 'concurrency';
  const levels = rangeValues(mode === 'request-rate' ? o.requestRateRange! : o.concurrencyRange!);
  say(settingsText(o, transport.kind, mode));

  let statsAvailable = true;
  const serverStats = async (): Promise<ServerStats | undefined> => {
    if (!statsAvailable) return undefined;
    try {
      const raw = await transport.modelStatistics(o.modelName, o.modelVersion);
      if (raw !== undefined) return parseModelStats(raw, o.modelName, o.modelVersion);
    } catch {
      // A server without the statistics extension: client figures only (perf_analyzer does the same).
    }
    statsAvailable = false;
    return undefined;
  };

  const progress = new Progress(io.progress);
  const results: LevelResult[] = [];
  for (const value of levels) {
    const load: Load = pool !== undefined
      ? pool.load(mode, value, o.seed)
      : mode === 'concurrency'
        ? new ConcurrencyLoad(transport, requests, value)
        : new RequestRateLoad(transport, requests, value, o.requestDistribution, o.seed);
    const label = mode === 'concurrency' ? `concurrency ${value}` : `request rate ${value}/s`;
    load.start();
    let measured;
    try {
      measured = await measureLevel(load, {
        batchSize: o.batchSize,
        measurementIntervalMs: o.measurementIntervalMs,
        stabilityPercentage: o.stabilityPercentage,
        maxTrials: o.maxTrials,
        percentile: o.percentile,
        serverStats,
        ...(o.verbose && io.quiet !== true
          ? {
              onWindow: (w: { trial: number; requestCount: number; throughput: number; latencyUs: number }) => {
                progress.clear();
                say(`  Pass [${w.trial}] throughput: ${w.throughput.toFixed(2)} infer/sec. ` +
                  `${o.percentile === undefined ? 'Avg' : `p${o.percentile}`} latency: ${Math.floor(w.latencyUs)} usec (${w.requestCount} requests)\n`);
              },
            }
          : {}),
        onProgress: (p) =>
          progress.update(`[${label}] window ${p.trial}/${o.maxTrials} ${(p.elapsedMs / 1000).toFixed(1)}s, ` +
            `${p.inWindow} done, ${load.outstanding} outstanding`),
      });
    } finally {
      progress.clear();
      await load.stop();
    }
    const result: LevelResult = { ...measured, mode, value };
    results.push(result);
    say(levelText(result, o.batchSize) + '\n');
    const lat = o.percentile === undefined ? result.latency.avgUs : (result.latency.percentilesUs.get(o.percentile) ?? 0);
    if (o.latencyThresholdMs > 0 && lat > o.latencyThresholdMs * 1000) {
      say(`Measured latency went over the set limit of ${o.latencyThresholdMs} msec.\n\n`);
      break;
    }
  }
  say(summaryText(results, o.percentile));
  const csvSettings: CsvSettings = {
    mode,
    includeServerStats: results.every((r) => r.server !== undefined),
    responseCache: model.responseCache,
    verbose: o.verboseCsv,
    percentile: o.percentile,
  };
  const csv = csvText(results, csvSettings);
  if (o.csvFile !== undefined) writeFileSync(o.csvFile, csv);
  return { model, mode, results, csv };
}
