/**
 * Two ONNX Runtime instances execute at the same time (issue #4 item 1). The model's run time grows
 * with its input: `Y = X·X·…·X` (MatMul chain) over an [N, N] FP32 input with dynamic dims. A big
 * request (N = 1024, hundreds of ms) goes first, a tiny one (N = 2) after it has started. With two
 * instances the tiny one runs on the idle instance and is answered first; with one instance it waits
 * for the big one (so the first test can fail). Completion order only, no timing thresholds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder } from '../../../../scripts/onnx-builder.js';
import { createInferenceServer } from '../../src/create-server.js';
import type { InferenceResponse } from '../../src/core/index.js';
import { executing } from '../support/executing.js';
import { makeRepo } from '../support/temp-repo.js';

const STEPS = 96;
const BIG = 1024;
const TINY = 2;

/** `Y = X^(STEPS+1)` as STEPS MatMuls; with every element of X = 1/N, every power of X equals X. */
function chainModel(): Uint8Array {
  const g = new GraphBuilder('matmul_chain').input('X', 'FLOAT', ['n', 'n']);
  let prev = 'X';
  for (let s = 0; s < STEPS; s++) {
    const out = s === STEPS - 1 ? 'Y' : `h${s}`;
    g.node('MatMul', [prev, 'X'], [out]);
    prev = out;
  }
  return g.output('Y', 'FLOAT', ['n', 'n']).toBytes();
}

function config(count: number): string {
  return [
    'platform: "onnxruntime_onnx"', 'max_batch_size: 0',
    'input [ { name: "X" data_type: TYPE_FP32 dims: [ -1, -1 ] } ]',
    'output [ { name: "Y" data_type: TYPE_FP32 dims: [ -1, -1 ] } ]',
    `instance_group [ { count: ${count} kind: KIND_CPU } ]`,
  ].join('\n');
}

function input(n: number): Uint8Array {
  const x = new Float32Array(n * n).fill(1 / n);
  return new Uint8Array(x.buffer);
}

function checkOutput(r: InferenceResponse, n: number): void {
  const y = r.outputs.find((o) => o.name === 'Y');
  assert.ok(y !== undefined);
  assert.deepEqual(y.shape, [n, n]);
  const values = new Float32Array(y.data.slice().buffer);
  for (const v of [values[0]!, values[values.length - 1]!]) assert.ok(Math.abs(v - 1 / n) < 1e-4 / n, `Y element ${v}, expected ${1 / n}`);
}

/** Sends the big request, waits until it has started, sends the tiny one; returns the completion order. */
async function completionOrder(count: number): Promise<string[]> {
  const repo = makeRepo({ 'chain/config.pbtxt': config(count), 'chain/1/model.onnx': chainModel() });
  const { server } = await createInferenceServer({ modelRepository: repo.dir });
  try {
    const order: string[] = [];
    const send = (id: string, n: number) =>
      server.infer({ modelName: 'chain', id, inputs: [{ name: 'X', datatype: 'FP32', shape: [n, n], data: input(n) }] })
        .then((r) => {
          order.push(id);
          checkOutput(r, n);
        });
    const started = executing('big');
    const big = send('big', BIG);
    // The big request is on its instance (it runs far longer than the tiny one takes).
    await started;
    const tiny = send('tiny', TINY);
    await Promise.all([big, tiny]);
    // The pool records an execution just after its responses went out.
    await new Promise((r) => setImmediate(r));
    const stats = server.modelStatistics('chain').model_stats[0] as { execution_count: number };
    assert.equal(stats.execution_count, 2);
    return order;
  } finally {
    await server.shutdown(5000);
    repo.cleanup();
  }
}

test('instance_group count 2: a tiny request runs beside a big one and completes first', async () => {
  assert.deepEqual(await completionOrder(2), ['tiny', 'big']);
});

test('instance_group count 1: the tiny request waits for the big one (control)', async () => {
  assert.deepEqual(await completionOrder(1), ['big', 'tiny']);
});
