/**
 * Ragged batching with the ONNX Runtime backend, as in Triton's docs/user_guide/ragged_batching.md and
 * qa/L0_batch_input: requests of different lengths are batched together by the dynamic batcher, the
 * ragged input reaches the model as one 1-D concatenation, the server generates the batch inputs, and
 * outputs are scattered back per request.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createInferenceServer } from '../../src/create-server.js';
import type { InferenceResponse, InferenceServer } from '../../src/core/index.js';
import { fp32, makeRepo, readFp32, type RepoFiles } from '../support/temp-repo.js';
import { batchInputKindsModel, batchItemShapeModel, raggedSumModel } from './ragged-models.js';

async function withServer(files: RepoFiles, body: (server: InferenceServer) => Promise<void>, exitOnError = true): Promise<void> {
  const repo = makeRepo(files);
  const { server } = await createInferenceServer({ modelRepository: repo.dir, exitOnError });
  try {
    await body(server);
  } finally {
    await server.shutdown(5000);
    repo.cleanup();
  }
}

/** Long enough for every concurrent request of a test to join one batch. */
const BATCHER = 'dynamic_batching { max_queue_delay_microseconds: 300000 }';

const RAGGED_SUM_CONFIG = [
  'backend: "onnxruntime"', 'max_batch_size: 8',
  'input [ { name: "INPUT" data_type: TYPE_FP32 dims: [ -1 ] allow_ragged_batch: true } ]',
  'batch_input [ { kind: BATCH_ACCUMULATED_ELEMENT_COUNT target_name: "INDEX" data_type: TYPE_FP32 source_input: "INPUT" } ]',
  'output [ { name: "SUM" data_type: TYPE_FP32 dims: [ 1 ] } ]',
  BATCHER,
].join('\n');

const row = (values: readonly number[]) => ({ name: 'INPUT', datatype: 'FP32' as const, shape: [1, values.length], data: fp32(values) });

/** Executions and their batch sizes; stats land just after the responses, as in Triton (qa polls too). */
async function executions(server: InferenceServer, model: string): Promise<{ execution_count: number; batch_sizes: number[] }> {
  type Stats = { execution_count: number | string; batch_stats: { batch_size: number | string }[] };
  let s = server.modelStatistics(model).model_stats[0] as Stats;
  for (let i = 0; i < 50 && Number(s.execution_count) === 0; i++) {
    await new Promise((r) => setTimeout(r, 10));
    s = server.modelStatistics(model).model_stats[0] as Stats;
  }
  return { execution_count: Number(s.execution_count), batch_sizes: s.batch_stats.map((b) => Number(b.batch_size)) };
}

test('the documented ragged example loads; concurrent requests of lengths 3, 4, 5 run as one batch, each gets its own sum', async () => {
  await withServer({ 'ragged_sum/config.pbtxt': RAGGED_SUM_CONFIG, 'ragged_sum/1/model.onnx': raggedSumModel() }, async (server) => {
    const lists = [[1, 2, 3], [10, 20, 30, 40], [100, 200, 300, 400, 500]];
    const responses = await Promise.all(lists.map((l) => server.infer({ modelName: 'ragged_sum', inputs: [row(l)] })));
    assert.deepEqual(responses.map((r) => [r.outputs[0]!.shape, readFp32(r.outputs[0]!.data)]), [
      [[1, 1], [6]], [[1, 1], [100]], [[1, 1], [1500]],
    ]);
    assert.deepEqual(await executions(server, 'ragged_sum'), { execution_count: 1, batch_sizes: [3] });
    // Alone, a request is a batch of one with INDEX = [its length].
    const alone = await server.infer({ modelName: 'ragged_sum', inputs: [row([7, 8])] });
    assert.deepEqual(readFp32(alone.outputs[0]!.data), [15]);
  });
});

const KINDS_CONFIG = [
  'backend: "onnxruntime"', 'max_batch_size: 4',
  'input [ { name: "RAGGED_INPUT" data_type: TYPE_FP32 dims: [ -1 ] allow_ragged_batch: true } ]',
  'batch_input [',
  '  { kind: BATCH_ELEMENT_COUNT target_name: "COUNT" data_type: TYPE_INT32 source_input: "RAGGED_INPUT" },',
  '  { kind: BATCH_ACCUMULATED_ELEMENT_COUNT_WITH_ZERO target_name: "ACC0" data_type: TYPE_FP32 source_input: "RAGGED_INPUT" },',
  '  { kind: BATCH_MAX_ELEMENT_COUNT_AS_SHAPE target_name: "MAXSHAPE" data_type: TYPE_FP32 source_input: "RAGGED_INPUT" },',
  '  { kind: BATCH_ITEM_SHAPE_FLATTEN target_name: "FLAT" data_type: TYPE_FP32 source_input: "RAGGED_INPUT" } ]',
  'output [',
  '  { name: "RAGGED_OUTPUT" data_type: TYPE_FP32 dims: [ -1 ] },',
  '  { name: "OUT_COUNT" data_type: TYPE_INT32 dims: [ -1 ] }, { name: "OUT_ACC0" data_type: TYPE_FP32 dims: [ -1 ] },',
  '  { name: "OUT_MAXSHAPE" data_type: TYPE_FP32 dims: [ -1 ] }, { name: "OUT_FLAT" data_type: TYPE_FP32 dims: [ -1 ] } ]',
  'batch_output [ { target_name: "RAGGED_OUTPUT" kind: BATCH_SCATTER_WITH_INPUT_SHAPE source_input: "RAGGED_INPUT" } ]',
  BATCHER,
].join('\n');

test('batch inputs of every 1-D kind, and a ragged output scattered with each request\'s input shape (L0_batch_input)', async () => {
  await withServer({ 'kinds/config.pbtxt': KINDS_CONFIG, 'kinds/1/model.onnx': batchInputKindsModel() }, async (server) => {
    const lengths = [2, 4, 1, 3];
    const responses = await Promise.all(lengths.map((v) => server.infer({
      modelName: 'kinds', inputs: [{ name: 'RAGGED_INPUT', datatype: 'FP32', shape: [1, v], data: fp32(new Array<number>(v).fill(v)) }],
    })));
    const byName = (r: InferenceResponse, n: string) => r.outputs.find((o) => o.name === n)!;
    responses.forEach((r, i) => {
      const v = lengths[i]!;
      const ragged = byName(r, 'RAGGED_OUTPUT');
      assert.deepEqual([ragged.shape, readFp32(ragged.data)], [[1, v], new Array<number>(v).fill(2 * v)]);
      const count = byName(r, 'OUT_COUNT');
      assert.deepEqual([count.shape, [...new Int32Array(count.data.slice().buffer)]], [[1, 4], [2, 4, 1, 3]]);
      assert.deepEqual([byName(r, 'OUT_ACC0').shape, readFp32(byName(r, 'OUT_ACC0').data)], [[1, 5], [0, 2, 6, 7, 10]]);
      assert.deepEqual(byName(r, 'OUT_MAXSHAPE').shape, [1, 4]);
      assert.deepEqual([byName(r, 'OUT_FLAT').shape, readFp32(byName(r, 'OUT_FLAT').data)], [[1, 4], [2, 4, 1, 3]]);
    });
    assert.deepEqual(await executions(server, 'kinds'), { execution_count: 1, batch_sizes: [4] });
  });
});

const ITEM_CONFIG = [
  'backend: "onnxruntime"', 'max_batch_size: 4',
  'input [ { name: "RAGGED_INPUT" data_type: TYPE_FP32 dims: [ -1, -1 ] allow_ragged_batch: true } ]',
  'batch_input [ { kind: BATCH_ITEM_SHAPE target_name: "BATCH_INPUT" data_type: TYPE_FP32 source_input: "RAGGED_INPUT" } ]',
  'output [ { name: "BATCH_OUTPUT" data_type: TYPE_FP32 dims: [ 2 ] } ]',
  BATCHER,
].join('\n');

test('BATCH_ITEM_SHAPE: one row per batch item (a request of batch 2 gets two), scattered by batch size', async () => {
  await withServer({ 'item/config.pbtxt': ITEM_CONFIG, 'item/1/model.onnx': batchItemShapeModel() }, async (server) => {
    const shapes = [[2, 1, 2], [1, 1, 2], [1, 2, 2]];
    const responses = await Promise.all(shapes.map((s) => server.infer({
      modelName: 'item', inputs: [{ name: 'RAGGED_INPUT', datatype: 'FP32', shape: s, data: fp32(new Array<number>(s[0]! * s[1]! * s[2]!).fill(s[0]!)) }],
    })));
    assert.deepEqual(responses.map((r) => [r.outputs[0]!.shape, readFp32(r.outputs[0]!.data)]), [
      [[2, 2], [1, 2, 1, 2]], [[1, 2], [1, 2]], [[1, 2], [2, 2]],
    ]);
    assert.deepEqual(await executions(server, 'item'), { execution_count: 1, batch_sizes: [4] });
  });
});

test('a ragged input the model does not take as [-1] refuses the load with Triton\'s message', async () => {
  const config = RAGGED_SUM_CONFIG.replace('dims: [ -1 ] allow_ragged_batch', 'dims: [ 3 ] allow_ragged_batch');
  const { GraphBuilder } = await import('../../../../scripts/onnx-builder.js');
  const model = new GraphBuilder('not_flat')
    .input('INPUT', 'FLOAT', ['b', 3]).input('INDEX', 'FLOAT', ['r'])
    .initializer('axes1', 'INT64', [1], [1])
    .node('ReduceSum', ['INPUT', 'axes1'], ['SUM'], { keepdims: { int: 1 } })
    .output('SUM', 'FLOAT', ['b', 1]).toBytes();
  await withServer({ 'flat/config.pbtxt': config, 'flat/1/model.onnx': model }, async (server) => {
    const entry = server.repositoryIndex().find((e) => e.name === 'flat');
    assert.equal(entry?.state, 'UNAVAILABLE');
    assert.equal(entry?.reason,
      "unable to load model 'flat', configuration expects model provides input with shape [-1]  for ragged input 'INPUT', model provides [-1,3]");
  }, false);
});
