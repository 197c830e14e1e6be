/**
 * Where a model's executions run: inline on the main thread, or on the session pool.
 *
 * Measured here (2 cores, onnxruntime-node 1.30, Identity on 16 floats): a postMessage round trip to a
 * worker costs ~20 µs wall and ~23 µs of main-thread CPU; the run itself ~5 µs (sync native call) or
 * ~8 µs (public async `session.run`). So for such a model the hop is most of the cost, and running it
 * on the main thread is cheaper for every request, even under load. A model that takes longer than
 * that would stall the event loop (every other request of the server waits), so:
 *
 * - `auto` (default): a model starts on the pool, where each run is timed in its thread. After
 *   PROBE_RUNS runs (the first WARMUP_RUNS not counted) whose median is under PROMOTE_MEDIAN_US and
 *   whose 90th percentile is under PROMOTE_MAX_US, it moves inline. A probe that fails (a slow model,
 *   or a tiny one on a machine so loaded that its thread was preempted) is tried again after
 *   RETRY_RUNS more runs, doubling up to RETRY_MAX_RUNS, so a busy start does not pin a tiny model.
 *   Pool-side times are upper bounds: they include the public `session.run`'s setImmediate and the
 *   thread waking up (80-170 µs measured here for 8 MatMuls on 1×32 floats, whose inline run is
 *   ~10 µs), so the bar is loose there and the real test is the inline window below.
 *   Inline runs are timed too (the native run alone); the model moves back to the pool on two runs in a row over
 *   STALL_US (or one over HARD_STALL_US), or when the median of a WINDOW of runs is over DEMOTE_MEDIAN_US (inputs of a model can
 *   grow: dynamic shapes). Wall time of a 5 µs run reads milliseconds when the main thread is preempted
 *   (seen here at c=16 on a loaded 2-core machine: 2.4 ms), so single slow runs under STALL_US do not
 *   count, and a model moved back is probed again later (same back-off as a failed probe).
 * - `inline`, `pool`: forced, by the model's config `parameters { key: "inferd.execution" value: { string_value: "inline" } }`.
 *   A forced-inline model stays inline whatever its runs take.
 */
import { ServerError } from '../../core/index.js';
import type { ModelConfig } from '../../config/types.js';

export type ExecutionMode = 'auto' | 'inline' | 'pool';
export type Placement = 'inline' | 'pool';

export const EXECUTION_PARAMETER = 'inferd.execution';

export const PROBE_RUNS = 16;
export const WARMUP_RUNS = 2;
export const PROMOTE_MEDIAN_US = 250;
export const PROMOTE_MAX_US = 1000;
export const RETRY_RUNS = 256;
export const RETRY_MAX_RUNS = 65536;
export const WINDOW = 32;
export const DEMOTE_MEDIAN_US = 100;
export const STALL_US = 10_000;
export const HARD_STALL_US = 100_000;

export function executionModeOf(config: ModelConfig): ExecutionMode {
  const raw = config.parameters?.[EXECUTION_PARAMETER]?.string_value;
  if (raw === undefined || raw === '') return 'auto';
  const v = raw.trim().toLowerCase();
  if (v === 'auto' || v === 'inline' || v === 'pool') return v;
  throw ServerError.invalidArg(
    `invalid value '${raw}' for parameter '${EXECUTION_PARAMETER}' of model '${config.name ?? ''}': expected auto, inline or pool`,
  );
}

/** What a recorded run changed: nothing, or the model should move. */
export type Move = 'stay' | 'to-inline' | 'to-pool';

/** The decision alone (no sessions, no clocks): fed run durations, says when to move. */
export class InlinePolicy {
  readonly mode: ExecutionMode;
  #placement: Placement;
  /** True for forced modes, and once auto found no inline sessions here: the placement never changes. */
  #settled: boolean;
  #seen = 0;
  /** Pool runs to let pass before the next probe, and the wait after the next failed one. */
  #skip = 0;
  #retry = RETRY_RUNS;
  #inlineRuns = 0;
  #lastStalled = false;
  readonly #samples: number[] = [];

  constructor(mode: ExecutionMode) {
    this.mode = mode;
    this.#placement = mode === 'inline' ? 'inline' : 'pool';
    this.#settled = mode !== 'auto';
  }

  get placement(): Placement {
    return this.#placement;
  }

  /** Records one run of `runUs` µs that ran at `where`; returns the move it calls for. */
  record(runUs: number, where: Placement): Move {
    if (this.#settled || where !== this.#placement) return 'stay';
    return where === 'pool' ? this.#probe(runUs) : this.#watch(runUs);
  }

  /** Accepts that a move was not possible (no inline sessions here): stays on the pool for good. */
  pinToPool(): void {
    this.#placement = 'pool';
    this.#settled = true;
  }

  #probe(runUs: number): Move {
    this.#seen += 1;
    if (this.#seen <= WARMUP_RUNS) return 'stay'; // warm-up: first-run allocations
    if (this.#skip > 0) {
      this.#skip -= 1;
      return 'stay';
    }
    this.#samples.push(runUs);
    if (this.#samples.length < PROBE_RUNS) return 'stay';
    const sorted = [...this.#samples].sort((a, b) => a - b);
    const tiny = sorted[sorted.length >> 1]! < PROMOTE_MEDIAN_US && sorted[Math.floor(sorted.length * 0.9)]! < PROMOTE_MAX_US;
    this.#samples.length = 0;
    if (!tiny) {
      this.#skip = this.#retry;
      this.#retry = Math.min(this.#retry * 2, RETRY_MAX_RUNS);
      return 'stay';
    }
    this.#placement = 'inline';
    return 'to-inline';
  }

  /** Inline runs: a ring of the last WINDOW durations, its median taken once per full window. */
  #watch(runUs: number): Move {
    this.#samples[this.#inlineRuns % WINDOW] = runUs;
    this.#inlineRuns += 1;
    const windowDone = this.#inlineRuns % WINDOW === 0;
    // One run over STALL_US can be the main thread preempted mid-run (seen at 12-19 ms on a loaded 2-core
    // machine for a 7 µs run): two in a row, or one past HARD_STALL_US, is the model itself being slow.
    const stalled = runUs > HARD_STALL_US || (runUs > STALL_US && this.#lastStalled);
    this.#lastStalled = runUs > STALL_US;
    if (stalled || (windowDone && median(this.#samples) > DEMOTE_MEDIAN_US)) {
      this.#lastStalled = false;
      this.#placement = 'pool';
      this.#samples.length = 0;
      this.#inlineRuns = 0;
      this.#skip = this.#retry;
      this.#retry = Math.min(this.#retry * 2, RETRY_MAX_RUNS);
      return 'to-pool';
    }
    return 'stay';
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}
