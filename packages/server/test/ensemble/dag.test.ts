/**
 * Data-driven execution over gated plug-in members: a diamond whose two branches run at once, the
 * join waiting for both; request fields copied into every member request; cancellation between
 * steps; nested ensembles; statistics of the ensemble and of each member.
 */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { ServerError } from '../../src/index.js';
import { fp32, readFp32 } from '../support/temp-repo.js';
import { ensembleConfig, gate, gateBackendDir, gatedConfig, startServer, step, type Started } from './support.js';

const io = (inputs: string[], outputs: string[]) =>
  `input [ ${inputs.map((n) => `{ name: "${n}" data_type: TYPE_FP32 dims: [ -1 ] }`).join(', ')} ]\n` +
  `output [ ${outputs.map((n) => `{ name: "${n}" data_type: TYPE_FP32 dims: [ -1 ] }`).join(', ')} ]`;

/** pre -> (left, right) -> join: IN comes back as OUT_L and OUT_R. */
const DIAMOND = ensembleConfig('diamond', `${io(['IN'], ['OUT_L', 'OUT_R'])}
ensemble_scheduling {
  ${step('pre', { X: 'IN' }, { Y: 't' })}
  ${step('left', { X: 't' }, { Y: 'l' })}
  ${step('right', { X: 't' }, { Y: 'r' })}
  ${step('join', { A: 'l', B: 'r' }, { A_OUT: 'OUT_L', B_OUT: 'OUT_R' })}
}`);

/** diamond, then `post` on its left output: nested ensemble. */
const OUTER = ensembleConfig('outer', `${io(['IN'], ['OUT'])}
ensemble_scheduling {
  ${step('diamond', { IN: 'IN' }, { OUT_L: 'l', OUT_R: 'r' })}
  ${step('join', { A: 'l', B: 'r' }, { A_OUT: 'OUT' })}
}`);

let backends: string;
let s: Started;

before(async () => {
  backends = gateBackendDir();
  s = await startServer({
    'pre/config.pbtxt': gatedConfig(['X'], ['Y']), 'pre/1/': null,
    'left/config.pbtxt': gatedConfig(['X'], ['Y']), 'left/1/': null,
    'right/config.pbtxt': gatedConfig(['X'], ['Y']), 'right/1/': null,
    'join/config.pbtxt': gatedConfig(['A', 'B'], ['A_OUT', 'B_OUT']), 'join/1/': null,
    'diamond/config.pbtxt': DIAMOND, 'diamond/1/': null,
    'outer/config.pbtxt': OUTER, 'outer/1/': null,
  }, { backendDirectory: backends });
  assert.deepEqual(s.failed, []);
});

after(async () => {
  gate.reset();
  await s.close();
  rmSync(backends, { recursive: true, force: true });
});

beforeEach(() => gate.reset());

const input = (values: number[]) => [{ name: 'IN', datatype: 'FP32' as const, shape: [values.length], data: fp32(values) }];
const steps = () => gate.state.log.map((e) => e.model);

type Stats = {
  inference_count: number; execution_count: number;
  inference_stats: Record<string, { count: number; ns: number }>;
  batch_stats: { batch_size: number; compute_infer: { count: number } }[];
};
const stats = (name: string) => s.server.modelStatistics(name).model_stats[0] as unknown as Stats;

test('diamond: both branches start before either is released; the join waits for both', async () => {
  gate.state.open.add('pre');
  gate.state.open.add('join');
  const done = s.server.infer({ modelName: 'diamond', id: 'd1', inputs: input([1, 2, 3]) });
  await gate.until(() => gate.held().length === 2, 'both branches to start');
  assert.deepEqual(gate.held(), ['left', 'right'], 'left and right run at the same time');
  gate.release('right');
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(steps().sort(), ['left', 'pre', 'right'], 'join has not started with one branch missing');
  gate.release('left');
  const out = await done;
  assert.deepEqual(steps().slice(-1), ['join']);
  assert.deepEqual(out.outputs.map((t) => t.name), ['OUT_L', 'OUT_R']);
  assert.deepEqual(readFp32(out.outputs[0]!.data), [1, 2, 3]);
  assert.deepEqual(readFp32(out.outputs[1]!.data), [1, 2, 3]);
});

test('request id, parameters, priority, timeout, correlation id and flags reach every member request', async () => {
  for (const m of ['pre', 'left', 'right', 'join']) gate.state.open.add(m);
  await s.server.infer({
    modelName: 'diamond', id: 'fields', inputs: input([5]), parameters: { custom: 'x', n: 3 }, priority: 2,
    timeoutUs: 5_000_000, correlationId: 42n, flags: 0,
  });
  assert.equal(gate.state.log.length, 4);
  for (const e of gate.state.log) {
    assert.deepEqual(
      { id: e.id, parameters: e.parameters, priority: e.priority, timeoutUs: e.timeoutUs, correlationId: e.correlationId, flags: e.flags },
      { id: 'fields', parameters: { custom: 'x', n: 3 }, priority: 2, timeoutUs: 5_000_000, correlationId: 42n, flags: 0 },
      e.model,
    );
  }
});

test('cancellation between steps: the request fails CANCELLED at once and later steps never run', async () => {
  gate.state.open.add('pre');
  gate.state.open.add('join');
  const controller = new AbortController();
  const done = s.server.infer({ modelName: 'diamond', id: 'c1', inputs: input([1]), signal: controller.signal });
  await gate.until(() => gate.held().length === 2, 'both branches to start');
  controller.abort();
  await assert.rejects(done, (e: unknown) => e instanceof ServerError && e.code === 'CANCELLED');
  gate.release('left');
  gate.release('right');
  await gate.until(() => s.server.inflightCount === 0, 'members to finish');
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(steps().sort(), ['left', 'pre', 'right'], 'join never ran');
});

test('a failing step fails the ensemble request with the step\'s error; later steps never run', async () => {
  for (const m of ['pre', 'left', 'right', 'join']) gate.state.open.add(m);
  const failBefore = stats('diamond').inference_stats.fail!.count;
  await assert.rejects(
    s.server.infer({ modelName: 'diamond', inputs: input([1]), parameters: { fail_step: 'left' } }),
    (e: unknown) => e instanceof ServerError && e.code === 'INTERNAL' && e.message === 'step left failed',
  );
  await gate.until(() => s.server.inflightCount === 0, 'members to finish');
  assert.ok(!steps().includes('join'));
  assert.equal(stats('diamond').inference_stats.fail!.count, failBefore + 1);
});

test('nested ensemble: outer runs diamond as one step, then join', async () => {
  for (const m of ['pre', 'left', 'right', 'join']) gate.state.open.add(m);
  const out = await s.server.infer({ modelName: 'outer', id: 'n1', inputs: input([7, 8]) });
  assert.deepEqual(out.outputs.map((t) => t.name), ['OUT']);
  assert.deepEqual(readFp32(out.outputs[0]!.data), [7, 8]);
  assert.deepEqual(steps().sort(), ['join', 'join', 'left', 'pre', 'right']);
  assert.deepEqual(s.server.repositoryIndex().map((e) => `${e.name}:${e.state}`), [
    'diamond:READY', 'join:READY', 'left:READY', 'outer:READY', 'pre:READY', 'right:READY',
  ]);
});

test('statistics: the ensemble counts its own requests; every member counts its requests as usual', async () => {
  for (const m of ['pre', 'left', 'right', 'join']) gate.state.open.add(m);
  const before = Object.fromEntries(['diamond', 'pre', 'left', 'right', 'join', 'outer'].map((m) => [m, stats(m)]));
  await s.server.infer({ modelName: 'diamond', inputs: input([1]) });
  await s.server.infer({ modelName: 'diamond', inputs: input([2]) });
  await s.server.infer({ modelName: 'outer', inputs: input([3]) });
  const delta = (m: string, k: string) => stats(m).inference_stats[k]!.count - before[m]!.inference_stats[k]!.count;
  assert.equal(delta('diamond', 'success'), 3, 'two direct requests and one from outer');
  assert.equal(delta('outer', 'success'), 1);
  assert.equal(delta('pre', 'success'), 3);
  assert.equal(delta('join', 'success'), 4, 'three diamond joins and the outer join');
  assert.equal(delta('diamond', 'compute_infer'), 3);
  assert.equal(delta('diamond', 'queue'), 3);
  assert.equal(stats('diamond').inference_count - before['diamond']!.inference_count, 3);
  const d = stats('diamond');
  assert.ok(d.inference_stats.compute_infer!.ns > 0, 'ensemble compute = member time');
  assert.deepEqual(d.batch_stats.map((b) => b.batch_size), [1]);
});
