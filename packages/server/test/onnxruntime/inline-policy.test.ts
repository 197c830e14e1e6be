import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  executionModeOf, InlinePolicy, PROBE_RUNS, PROMOTE_MAX_US, PROMOTE_MEDIAN_US, RETRY_RUNS, STALL_US, HARD_STALL_US, WARMUP_RUNS, WINDOW, type Move,
} from '../../src/backends/onnxruntime/inline-policy.js';
import { ServerError } from '../../src/core/index.js';

/** Feeds `runs` durations at the policy's current placement; returns the moves in order. */
function feed(p: InlinePolicy, runs: readonly number[]): Move[] {
  return runs.map((us) => p.record(us, p.placement));
}

test('auto: a model whose timed pool runs are tiny moves inline once, after the warm-up run and the probe', () => {
  const p = new InlinePolicy('auto');
  assert.equal(p.placement, 'pool');
  // The first runs (warm-up) may be slow and are not counted.
  const moves = feed(p, [...new Array<number>(WARMUP_RUNS).fill(5000), ...new Array<number>(PROBE_RUNS).fill(8)]);
  assert.deepEqual(moves.slice(0, -1), new Array<Move>(WARMUP_RUNS + PROBE_RUNS - 1).fill('stay'));
  assert.equal(moves.at(-1), 'to-inline');
  assert.equal(p.placement, 'inline');
});

test('auto: a pool median over PROMOTE_MEDIAN_US, or a slow tenth of the probe, keeps the model on the pool until a later probe', () => {
  const medianHigh = new InlinePolicy('auto');
  feed(medianHigh, [10, 10, ...new Array<number>(PROBE_RUNS).fill(PROMOTE_MEDIAN_US + 10)]);
  assert.equal(medianHigh.placement, 'pool');
  const slowTail = new InlinePolicy('auto');
  feed(slowTail, [10, 10, ...new Array<number>(PROBE_RUNS - 2).fill(5), PROMOTE_MAX_US + 1, PROMOTE_MAX_US + 1]);
  assert.equal(slowTail.placement, 'pool');
  // Tiny runs during the wait do not move it; the next probe after RETRY_RUNS does.
  assert.deepEqual(feed(slowTail, new Array<number>(RETRY_RUNS + PROBE_RUNS - 1).fill(1)).filter((m) => m !== 'stay'), []);
  assert.equal(slowTail.record(1, 'pool'), 'to-inline');
  // One preempted run in a probe is tolerated.
  const onePreempted = new InlinePolicy('auto');
  const moves = feed(onePreempted, [10, 10, ...new Array<number>(PROBE_RUNS - 1).fill(5), 5000]);
  assert.equal(moves.at(-1), 'to-inline');
});

function inlinePolicy(): InlinePolicy {
  const p = new InlinePolicy('auto');
  feed(p, new Array<number>(PROBE_RUNS + WARMUP_RUNS).fill(5));
  assert.equal(p.placement, 'inline');
  return p;
}

test('auto inline: two runs in a row over the stall limit move the model back to the pool; it is probed again after RETRY_RUNS', () => {
  const p = inlinePolicy();
  assert.deepEqual(feed(p, [5, 6, STALL_US + 1, STALL_US + 1]), ['stay', 'stay', 'stay', 'to-pool']);
  assert.equal(p.placement, 'pool');
  assert.deepEqual(feed(p, new Array<number>(RETRY_RUNS + PROBE_RUNS - 1).fill(1)).filter((m) => m !== 'stay'), []);
  assert.equal(p.record(1, 'pool'), 'to-inline');
});

test('auto inline: one run over the stall limit between fast ones (a preempted thread) stays; one past HARD_STALL_US moves', () => {
  const p = inlinePolicy();
  assert.deepEqual(feed(p, [5, STALL_US * 5, 5, STALL_US * 5, 5]).filter((m) => m !== 'stay'), []);
  assert.equal(p.placement, 'inline');
  assert.equal(p.record(HARD_STALL_US + 1, 'inline'), 'to-pool');
});

test('auto inline: slow runs under the stall limit (a preempted main thread) do not move it while the median stays small', () => {
  const p = inlinePolicy();
  const runs: number[] = [];
  for (let i = 0; i < 4 * WINDOW; i++) runs.push(i % 8 === 0 ? STALL_US - 1 : 5);
  assert.deepEqual(feed(p, runs).filter((m) => m !== 'stay'), []);
  assert.equal(p.placement, 'inline');
});

test('auto inline: a window whose median crossed 100 µs moves the model back', () => {
  const p = inlinePolicy();
  const moves = feed(p, new Array<number>(WINDOW).fill(150));
  assert.deepEqual(moves.slice(0, -1).filter((m) => m !== 'stay'), []);
  assert.equal(moves.at(-1), 'to-pool');
});

test('forced modes never move; a run recorded at the other placement changes nothing', () => {
  const inline = new InlinePolicy('inline');
  assert.equal(inline.placement, 'inline');
  feed(inline, [STALL_US * 10, STALL_US * 10]);
  assert.equal(inline.placement, 'inline');
  const pool = new InlinePolicy('pool');
  feed(pool, new Array<number>(4 * PROBE_RUNS).fill(1));
  assert.equal(pool.placement, 'pool');
  const auto = new InlinePolicy('auto');
  assert.equal(auto.record(1, 'inline'), 'stay');
});

test('pinToPool (no inline sessions here) settles the model on the pool', () => {
  const p = inlinePolicy();
  p.pinToPool();
  assert.equal(p.placement, 'pool');
  assert.deepEqual(feed(p, new Array<number>(3 * PROBE_RUNS).fill(1)).filter((m) => m !== 'stay'), []);
});

test('inferd.execution parameter: auto by default, inline/pool/auto in any case, anything else INVALID_ARG', () => {
  assert.equal(executionModeOf({}), 'auto');
  const mode = (v: string) => executionModeOf({ name: 'm', parameters: { 'inferd.execution': { string_value: v } } });
  assert.equal(mode('Inline'), 'inline');
  assert.equal(mode('pool'), 'pool');
  assert.equal(mode('auto'), 'auto');
  assert.throws(() => mode('main'), (e: unknown) => e instanceof ServerError && e.code === 'INVALID_ARG' && /inferd\.execution/.test(e.message));
});
