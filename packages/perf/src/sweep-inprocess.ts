/**
 * `--sweep -i inprocess`: each candidate gets its own temporary repository — the model's files
 * symlinked, a generated config.pbtxt — loaded in this process and measured, then thrown away.
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
import type { SweepTarget } from './sweep-target.js';

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

export async function openInProcessSweepTarget(o: PerfOptions, io: PerfIo): Promise<SweepTarget> {
  const modelDir = findModelDir(o);
  const base = await baseConfig(modelDir, o.modelName);
  return {
    base,
    async measure(config: ModelConfig): Promise<readonly LevelResult[]> {
      const root = tempRepository(modelDir, o.modelName, printModelConfigText(config));
      try {
        const { server } = await createInferenceServer({ modelRepository: root });
        const transport = new InProcessTransport(server, true);
        try {
          return (await runPerf({ ...o, csvFile: undefined }, { ...io, transport, quiet: true })).results;
        } finally {
          await transport.close();
        }
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
    // Every candidate's server is gone already; nothing stays loaded.
    finish: async () => undefined,
    close: async () => undefined,
  };
}
