/**
 * ORT session options from the model config, with Triton onnxruntime_backend's names:
 * - `parameters { key: "intra_op_thread_count" ... }`, `inter_op_thread_count` (0 = ORT default),
 *   `execution_mode` (0 sequential, 1 parallel), `enable_mem_arena`, `enable_mem_pattern`;
 * - `optimization { graph { level } }`: -1 basic, 1 extended, 2 disabled, anything else all (Triton's mapping);
 * - `--backend-config=onnxruntime,intra_op_thread_count=N` / `inter_op_thread_count=N` as server-wide
 *   defaults (Triton reads these for its global thread pool; Node has none, so they seed each session).
 */
import { ServerError } from '../../core/index.js';
import type { ModelConfig } from '../../config/types.js';
import type { WorkerSessionOptions } from './types.js';

export function sessionOptionsFor(config: ModelConfig, backendConfig: Readonly<Record<string, string>>): WorkerSessionOptions {
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
  options.intraOpNumThreads = intra > 0 ? intra : DEFAULT_INTRA_OP_THREADS;
  const inter = parseIntValue(param('inter_op_thread_count') ?? '0');
  if (inter > 0) options.interOpNumThreads = inter;

  const arena = params.enable_mem_arena?.string_value;
  if (arena !== undefined) options.enableCpuMemArena = parseBoolValue(arena);
  const pattern = params.enable_mem_pattern?.string_value;
  if (pattern !== undefined) options.enableMemPattern = parseBoolValue(pattern);
  return options;
}

/**
 * Intra-op threads per session unless configured. Sessions run on the shared worker pool (one run per
 * pool thread at a time) or inline, so parallelism comes from the pool; with 1, ORT starts no threads
 * of its own for a session, and the process's thread count stays the pool's size however many models
 * are loaded (a model whose parameters set intra_op_thread_count > 1, or execution_mode 1, gets ORT
 * threads for each of its sessions, as in Triton). Measured earlier (2 cores, onnxruntime-node 1.30,
 * text_direction, batches of 8, other work on the machine): 1 instance × 1 thread 1003-1054 img/s vs
 * × 2 threads 558-623 and ORT's default 510-722. ORT's extra pool threads spin-wait and lose their
 * cores whenever anything else runs.
 */
export const DEFAULT_INTRA_OP_THREADS = 1;

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
