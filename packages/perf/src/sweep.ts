/**
 * `--sweep`: which config serves this model best within a latency budget? Each candidate (instance
 * count × dynamic batching off / queue delays) is put in force by a SweepTarget — a temporary
 * in-process repository (`-i inprocess`) or a reload with a config override on a live server in
 * explicit model control mode (`-i http|grpc`) — and measured at every concurrency of the range. The
 * winner (highest throughput whose budget latency fits) is printed as a ready-to-use config.pbtxt,
 * written by the server's own printer so it parses back as it was measured.
 */
import { writeFileSync } from 'node:fs';
import { ServerError, printModelConfigText, type ModelConfig } from 'inferd';
import type { PerfOptions } from './options.js';
import type { LevelResult } from './report.js';
import type { PerfIo } from './run.js';
import { openInProcessSweepTarget } from './sweep-inprocess.js';
import { openRemoteSweepTarget } from './sweep-remote.js';
import type { SweepTarget } from './sweep-target.js';

/** Dynamic batching of a candidate: off, or on with this max_queue_delay_microseconds. */
export type BatchingChoice = { readonly kind: 'off' } | { readonly kind: 'dynamic'; readonly delayUs: number };

export interface SweepOptions {
  readonly instanceCounts: readonly number[];
  readonly batching: readonly BatchingChoice[];
  readonly latencyBudgetMs: number;
  /** Write the winning config.pbtxt here too. */
  readonly outputFile: string | undefined;
  /** `-i http|grpc`: leave the winner loaded on the server instead of restoring the original config. */
  readonly apply?: boolean;
}

export interface SweepPoint {
  readonly instances: number;
  readonly batching: BatchingChoice;
  readonly result: LevelResult;
  /** The latency compared to the budget (µs): `--percentile` when given, else p99. */
  readonly budgetLatencyUs: number;
}

export interface SweepResult {
  readonly points: readonly SweepPoint[];
  readonly best: (SweepPoint & { readonly config: ModelConfig; readonly configText: string }) | undefined;
}

/** `off,0,500` -> off, dynamic 0 µs, dynamic 500 µs. */
export function parseBatchingChoices(text: string): BatchingChoice[] {
  return text.split(',').map((t) => {
    const v = t.trim();
    if (v === 'off') return { kind: 'off' } as const;
    const us = Number(v);
    if (v === '' || !Number.isInteger(us) || us < 0) throw ServerError.invalidArg(`--sweep-batching: expected off or a delay in µs, got '${v}'`);
    return { kind: 'dynamic', delayUs: us } as const;
  });
}

export function batchingLabel(b: BatchingChoice): string {
  return b.kind === 'off' ? 'off' : `dynamic, delay ${b.delayUs} us`;
}

export function candidateConfig(base: ModelConfig, instances: number, batching: BatchingChoice): ModelConfig {
  const group = base.instance_group?.[0] ?? {};
  const out: ModelConfig = { ...base, instance_group: [{ ...group, count: instances, kind: group.kind ?? 'KIND_CPU' }] };
  if (batching.kind === 'off') delete out.dynamic_batching;
  else out.dynamic_batching = { ...base.dynamic_batching, max_queue_delay_microseconds: batching.delayUs };
  return out;
}

export async function runSweep(o: PerfOptions, sweep: SweepOptions, io: PerfIo): Promise<SweepResult> {
  if (sweep.apply === true && o.transport === 'inprocess') {
    throw ServerError.invalidArg('--sweep-apply needs -i http or -i grpc (an in-process sweep leaves nothing loaded)');
  }
  const target = o.transport === 'inprocess' ? await openInProcessSweepTarget(o, io) : await openRemoteSweepTarget(o, io, sweep.apply === true);
  try {
    return await sweepWith(target, o, sweep, io);
  } finally {
    await target.close();
  }
}

async function sweepWith(target: SweepTarget, o: PerfOptions, sweep: SweepOptions, io: PerfIo): Promise<SweepResult> {
  const base = target.base;
  const canBatch = (base.max_batch_size ?? 0) > 0 && base.sequence_batching === undefined;
  const choices = canBatch ? sweep.batching : sweep.batching.filter((b) => b.kind === 'off');
  if (choices.length === 0) throw ServerError.invalidArg(`--sweep: model '${o.modelName}' cannot batch; include 'off' in --sweep-batching`);
  const budgetPct = o.percentile ?? 99;
  const points: SweepPoint[] = [];
  io.out.write(`*** Sweep of '${o.modelName}': ${sweep.instanceCounts.length} instance counts x ${choices.length} batching settings, ` +
    `budget p${budgetPct} <= ${sweep.latencyBudgetMs} ms ***\n`);
  try {
    for (const instances of sweep.instanceCounts) {
      for (const batching of choices) {
        for (const result of await target.measure(candidateConfig(base, instances, batching))) {
          const budgetLatencyUs = result.latency.percentilesUs.get(budgetPct) ?? 0;
          points.push({ instances, batching, result, budgetLatencyUs });
          io.out.write(`  instances ${instances}, batching ${batchingLabel(batching)}, concurrency ${result.value}: ` +
            `${result.throughput.toFixed(1)} infer/sec, p${budgetPct} ${Math.floor(budgetLatencyUs)} usec` +
            `${budgetLatencyUs <= sweep.latencyBudgetMs * 1000 ? '' : ' (over budget)'}\n`);
        }
      }
    }
  } catch (err) {
    // Put the server back as it was; the sweep's own error is the one to report.
    await target.finish(undefined).catch(() => undefined);
    throw err;
  }
  const fitting = points.filter((p) => p.budgetLatencyUs <= sweep.latencyBudgetMs * 1000);
  // Highest throughput; ties go to fewer instances (less memory) then lower latency.
  fitting.sort((a, b) => b.result.throughput - a.result.throughput || a.instances - b.instances || a.budgetLatencyUs - b.budgetLatencyUs);
  const top = fitting[0];
  const config = top === undefined ? undefined : candidateConfig(base, top.instances, top.batching);
  const finished = await target.finish(config);
  if (finished !== undefined) io.out.write(`\n${finished}\n`);
  if (top === undefined || config === undefined) {
    io.out.write(`\nNo configuration met the budget of ${sweep.latencyBudgetMs} ms at p${budgetPct}.\n`);
    return { points, best: undefined };
  }
  const configText = printModelConfigText(config);
  io.out.write(`\nBest configuration within p${budgetPct} <= ${sweep.latencyBudgetMs} ms: instances ${top.instances}, ` +
    `batching ${batchingLabel(top.batching)}, at concurrency ${top.result.value}: ${top.result.throughput.toFixed(1)} infer/sec, ` +
    `p${budgetPct} ${Math.floor(top.budgetLatencyUs)} usec\n\n# config.pbtxt\n${configText}`);
  if (sweep.outputFile !== undefined) writeFileSync(sweep.outputFile, configText);
  return { points, best: { ...top, config, configText } };
}
