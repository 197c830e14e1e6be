/**
 * `--sweep`: which config serves this model best within a latency budget? The server has no explicit
 * model control with config overrides yet (issue #7), so each candidate (instance count × dynamic
 * batching off / queue delays) gets its own temporary repository — the model's files symlinked, a
 * generated config.pbtxt — loaded in-process and measured at every concurrency of the range. The
 * winner (highest throughput whose budget latency fits) is printed as a ready-to-use config.pbtxt,
 * written by the server's own printer so it parses back as it was measured.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  ServerError, createInferenceServer, parseModelConfigJson, parseModelConfigText, printModelConfigText, type ModelConfig,
} from 'inferd';
import { InProcessTransport } from './inprocess.js';
import type { PerfOptions } from './options.js';
import type { LevelResult } from './report.js';
import { runPerf, type PerfIo } from './run.js';

/** Dynamic batching of a candidate: off, or on with this max_queue_delay_microseconds. */
export type BatchingChoice = { readonly kind: 'off' } | { readonly kind: 'dynamic'; readonly delayUs: number };

export interface SweepOptions {
  readonly instanceCounts: readonly number[];
  readonly batching: readonly BatchingChoice[];
  readonly latencyBudgetMs: number;
  /** Write the winning config.pbtxt here too. */
  readonly outputFile: string | undefined;
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

function findModelDir(o: PerfOptions): string {
  for (const repo of o.modelRepository) {
    const dir = resolve(repo, o.modelName);
    if (existsSync(dir)) return dir;
  }
  throw ServerError.notFound(`--sweep: model '${o.modelName}' is in none of the --model-repository directories`);
}

/** A repository holding only `model`: its files symlinked, config.pbtxt replaced by `configText`. */
function tempRepository(modelDir: string, model: string, configText: string | undefined): string {
  const root = mkdtempSync(join(tmpdir(), 'inferd-perf-sweep-'));
  const dir = join(root, model);
  mkdirSync(dir);
  for (const entry of readdirSync(modelDir)) {
    if (configText !== undefined && (entry === 'config.pbtxt' || entry === 'configs')) continue;
    symlinkSync(join(modelDir, entry), join(dir, entry));
  }
  if (configText !== undefined) writeFileSync(join(dir, 'config.pbtxt'), configText);
  return root;
}

/**
 * The config the candidates start from: config.pbtxt when it lists inputs and outputs; otherwise the
 * loaded model's completed config, so auto-complete cannot add dynamic batching back to an "off" candidate.
 */
async function baseConfig(modelDir: string, model: string): Promise<ModelConfig> {
  const file = join(modelDir, 'config.pbtxt');
  if (existsSync(file)) {
    const parsed = parseModelConfigText(readFileSync(file, 'utf8'), file);
    if ((parsed.input?.length ?? 0) > 0 && (parsed.output?.length ?? 0) > 0) return { ...parsed, name: model };
  }
  const root = tempRepository(modelDir, model, undefined);
  try {
    const { server } = await createInferenceServer({ modelRepository: root });
    try {
      return { ...parseModelConfigJson(server.modelConfig(model)), name: model };
    } finally {
      await server.shutdown();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export function candidateConfig(base: ModelConfig, instances: number, batching: BatchingChoice): ModelConfig {
  const group = base.instance_group?.[0] ?? {};
  const out: ModelConfig = { ...base, instance_group: [{ ...group, count: instances, kind: group.kind ?? 'KIND_CPU' }] };
  if (batching.kind === 'off') delete out.dynamic_batching;
  else out.dynamic_batching = { ...base.dynamic_batching, max_queue_delay_microseconds: batching.delayUs };
  return out;
}

export async function runSweep(o: PerfOptions, sweep: SweepOptions, io: PerfIo): Promise<SweepResult> {
  if (o.transport !== 'inprocess') {
    throw ServerError.unsupported('--sweep needs -i inprocess: the server has no model load with config overrides yet');
  }
  const modelDir = findModelDir(o);
  const base = await baseConfig(modelDir, o.modelName);
  const canBatch = (base.max_batch_size ?? 0) > 0 && base.sequence_batching === undefined;
  const choices = canBatch ? sweep.batching : sweep.batching.filter((b) => b.kind === 'off');
  if (choices.length === 0) throw ServerError.invalidArg(`--sweep: model '${o.modelName}' cannot batch; include 'off' in --sweep-batching`);
  const budgetPct = o.percentile ?? 99;
  const points: SweepPoint[] = [];
  io.out.write(`*** Sweep of '${o.modelName}': ${sweep.instanceCounts.length} instance counts x ${choices.length} batching settings, ` +
    `budget p${budgetPct} <= ${sweep.latencyBudgetMs} ms ***\n`);
  for (const instances of sweep.instanceCounts) {
    for (const batching of choices) {
      const config = candidateConfig(base, instances, batching);
      const root = tempRepository(modelDir, o.modelName, printModelConfigText(config));
      try {
        const { server } = await createInferenceServer({ modelRepository: root });
        const transport = new InProcessTransport(server, true);
        try {
          const run = await runPerf({ ...o, csvFile: undefined }, { ...io, transport, quiet: true });
          for (const result of run.results) {
            const budgetLatencyUs = result.latency.percentilesUs.get(budgetPct) ?? 0;
            points.push({ instances, batching, result, budgetLatencyUs });
            io.out.write(`  instances ${instances}, batching ${batchingLabel(batching)}, concurrency ${result.value}: ` +
              `${result.throughput.toFixed(1)} infer/sec, p${budgetPct} ${Math.floor(budgetLatencyUs)} usec` +
              `${budgetLatencyUs <= sweep.latencyBudgetMs * 1000 ? '' : ' (over budget)'}\n`);
          }
        } finally {
          await transport.close();
        }
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    }
  }
  const fitting = points.filter((p) => p.budgetLatencyUs <= sweep.latencyBudgetMs * 1000);
  // Highest throughput; ties go to fewer instances (less memory) then lower latency.
  fitting.sort((a, b) => b.result.throughput - a.result.throughput || a.instances - b.instances || a.budgetLatencyUs - b.budgetLatencyUs);
  const top = fitting[0];
  if (top === undefined) {
    io.out.write(`\nNo configuration met the budget of ${sweep.latencyBudgetMs} ms at p${budgetPct}.\n`);
    return { points, best: undefined };
  }
  const config = candidateConfig(base, top.instances, top.batching);
  const configText = printModelConfigText(config);
  io.out.write(`\nBest configuration within p${budgetPct} <= ${sweep.latencyBudgetMs} ms: instances ${top.instances}, ` +
    `batching ${batchingLabel(top.batching)}, at concurrency ${top.result.value}: ${top.result.throughput.toFixed(1)} infer/sec, ` +
    `p${budgetPct} ${Math.floor(top.budgetLatencyUs)} usec\n\n# config.pbtxt\n${configText}`);
  if (sweep.outputFile !== undefined) writeFileSync(sweep.outputFile, configText);
  return { points, best: { ...top, config, configText } };
}
