/**
 * ORT session options from the model config, with Triton onnxruntime_backend's names:
 * - `parameters { key: "intra_op_thread_count" ... }`, `inter_op_thread_count` (0 = ORT default),
 *   `execution_mode` (0 sequential, 1 parallel), `enable_mem_arena`, `enable_mem_pattern`;
 * - `optimization { graph { level } }`: -1 basic, 1 extended, 2 disabled, anything else all (Triton's mapping);
 * - `--backend-config=onnxruntime,intra_op_thread_count=N` / `inter_op_thread_count=N` as server-wide
 *   defaults (Triton reads these for its global thread pool; Node has none, so they seed each session).
 */
import { availableParallelism } from 'node:os';
import { ServerError } from '../../core/index.js';
import type { ModelConfig } from '../../config/types.js';
import type { WorkerSessionOptions } from './types.js';

export function sessionOptionsFor(
  config: ModelConfig, backendConfig: Readonly<Record<string, string>>, cores = availableParallelism(),
): WorkerSessionOptions {
  const params = config.parameters ?? {};
  const param = (key: string): string | undefined => params[key]?.string_value ?? backendConfig[key];
  const options: WorkerSessionOptions = { graphOptimizationLevel: graphLevel(config.optimization?.graph?.level ?? 0) };

  const mode = parseIntValue(params.execution_mode?.string_value ?? '0');
  if (mode !== 0 && mode !== 1) {
    throw ServerError.invalidArg(
      `Invalid configuration value provided. Expected values for  execution_mode are 0 or 1 but got ${mode} .`,
    );
  }
  options.executionMode = mode === 0 ? 'sequential' : 'parallel';

  const intra = parseIntValue(param('intra_op_thread_count') ?? '0');
  options.intraOpNumThreads = intra > 0 ? intra : defaultIntraOpThreads(config, cores);
  const inter = parseIntValue(param('inter_op_thread_count') ?? '0');
  if (inter > 0) options.interOpNumThreads = inter;

  const arena = params.enable_mem_arena?.string_value;
  if (arena !== undefined) options.enableCpuMemArena = parseBoolValue(arena);
  const pattern = params.enable_mem_pattern?.string_value;
  if (pattern !== undefined) options.enableMemPattern = parseBoolValue(pattern);
  return options;
}

/**
 * Each instance is its own worker thread running in parallel with the others, so the cores are shared
 * out: intra-op threads = cores / instances (at least 1). ORT's own default (one thread per core in
 * every session) oversubscribes the CPU as soon as two instances run at once: with the default
 * `count: 2` on 2 cores, 2 sessions × 2 spinning threads fight over 2 cores.
 */
export function defaultIntraOpThreads(config: ModelConfig, cores: number): number {
  const instances = (config.instance_group ?? []).reduce((n, g) => n + (g.count ?? 1), 0) || 1;
  return Math.max(1, Math.floor(cores / instances));
}

function graphLevel(level: number): NonNullable<WorkerSessionOptions['graphOptimizationLevel']> {
  if (level === -1) return 'basic';
  if (level === 1) return 'extended';
  if (level === 2) return 'disabled';
  return 'all';
}

/** Triton's ParseIntValue (std::stoi: leading integer, else error). */
function parseIntValue(value: string): number {
  const m = /^\s*[+-]?\d+/.exec(value);
  if (m === null) throw ServerError.invalidArg(`failed to convert '${value}' to integral number`);
  return Number.parseInt(m[0], 10);
}

/** Triton's ParseBoolValue: true/on/1 and false/off/0, any case. */
function parseBoolValue(value: string): boolean {
  const v = value.toLowerCase();
  if (v === 'true' || v === 'on' || v === '1') return true;
  if (v === 'false' || v === 'off' || v === '0') return false;
  throw ServerError.invalidArg(`failed to convert '${value}' to boolean`);
}
