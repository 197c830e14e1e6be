/**
 * V8 heap settings for a memory-bounded server (`--model-max-loaded` / `--model-memory-budget`). Under
 * load/unload churn each evicted model's state has lived long enough to be promoted, so it dies in the
 * old generation, and V8 lets that generation grow up to ~4x its live size before the next mark-compact:
 * the slack a memory-bounded server exists to avoid. `--optimize-for-size` caps that growth at 2x (and keeps
 * young generations small); bench/RESULTS.md (model-lru, 2026-12-07 night): peak RSS with 50 of 1000 tiny
 * ONNX models loaded 156-163 -> 141-142 MiB, requests/s not lower. Set at run time by the CLI's entry
 * (main.ts) before the program loads, because Node refuses the flag in NODE_OPTIONS and worker threads
 * refuse it in execArgv; worker isolates (the ONNX pool threads) start after it, with it.
 * `INFERD_V8_MEMORY_FLAGS` replaces the flags (space-separated; `off` sets none). An embedding app that
 * bounds its models sets its own V8 flags (`node --optimize-for-size app.js`).
 */
import v8 from 'node:v8';

export const DEFAULT_MEMORY_BOUNDED_V8_FLAGS: readonly string[] = ['--optimize-for-size'];

let applied: readonly string[] = [];

/** True when the command line bounds the loaded models (the flags the launcher's memory profile keys on too). */
export function boundedByArgv(argv: readonly string[]): boolean {
  return argv.some((a) => /^--model-(max-loaded|memory-budget)(=|$)/.test(a));
}

/** Sets and returns the flags, or [] where the server is not memory-bounded or the user turned them off. */
export function tuneHeapForMemoryBound(bounded: boolean, env: NodeJS.ProcessEnv = process.env): readonly string[] {
  if (!bounded) return [];
  const chosen = env.INFERD_V8_MEMORY_FLAGS;
  const flags = chosen === undefined ? DEFAULT_MEMORY_BOUNDED_V8_FLAGS
    : chosen.trim() === 'off' ? [] : chosen.split(/\s+/).filter((f) => f !== '');
  for (const flag of flags) {
    if (!flag.startsWith('--')) throw new Error(`INFERD_V8_MEMORY_FLAGS: '${flag}' is not a V8 flag (flags start with --)`);
  }
  for (const flag of flags) v8.setFlagsFromString(flag);
  applied = flags;
  return flags;
}

/** What tuneHeapForMemoryBound set in this process (for the start-up log). */
export function appliedV8MemoryFlags(): readonly string[] {
  return applied;
}
