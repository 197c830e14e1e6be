import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeBytesElements, decodeBytesElements } from '@inferd/protocol';
import backend from '../../src/backends/onnxruntime/index.js';
import { ServerError, type ExecutionInstance } from '../../src/core/index.js';
import type { ModelConfig } from '../../src/config/types.js';
import { GraphBuilder, identityModel } from '../../../../scripts/onnx-builder.js';
import { f32, i32, instanceContext, modelOnDisk, only, output, readF32, readI32, request, specOf } from './helpers.js';

async function withInstance(
  name: string, model: Uint8Array, config: ModelConfig, body: (instance: ExecutionInstance) => Promise<void>,
): Promise<void> {
  const full = { name, ...config };
  const ctx = modelOnDisk(name, model, full);
  const instance = await (await backend.createModel(ctx)).createInstance(instanceContext(full));
  try {
    await body(instance);
  } finally {
    await instance.dispose();
    ctx.cleanup();
  }
}

function assertError(c: { responses: readonly { error?: ServerError; final: boolean }[] }, code: string, message: string): void {
  assert.equal(c.responses.length, 1);
  const r = c.responses[0]!;
  assert.equal(r.final, true);
  assert.ok(r.error instanceof ServerError);
  assert.equal(r.error.code, code);
  assert.equal(r.error.message, message);
}

const simpleModel = new GraphBuilder('simple')
  .input('INPUT0', 'INT32', ['batch', 16]).input('INPUT1', 'INT32', ['batch', 16])
  .node('Add', ['INPUT0', 'INPUT1'], ['OUTPUT0']).node('Sub', ['INPUT0', 'INPUT1'], ['OUTPUT1'])
  .output('OUTPUT0', 'INT32', ['batch', 16]).output('OUTPUT1', 'INT32', ['batch', 16])
  .toBytes();
const simpleConfig: ModelConfig = {
  name: 'simple', max_batch_size: 8,
  input: [{ name: 'INPUT0', data_type: 'TYPE_INT32', dims: [16] }, { name: 'INPUT1', data_type: 'TYPE_INT32', dims: [16] }],
  output: [{ name: 'OUTPUT0', data_type: 'TYPE_INT32', dims: [16] }, { name: 'OUTPUT1', data_type: 'TYPE_INT32', dims: [16] }],
};

test('requests of different batch sizes are concatenated, run once, split back; outputs as requested', async () => {
  await withInstance('simple', simpleModel, simpleConfig, async (instance) => {
    const spec = specOf(simpleConfig);
    const seq = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);
    const ones = (n: number): number[] => new Array<number>(n).fill(1);
    // a: batch 2, only OUTPUT1; b: batch 3, both outputs in reverse order; c: batch 1, default (all).
    const a = request(spec, [
      { name: 'INPUT0', datatype: 'INT32', shape: [2, 16], data: i32(seq(0, 32)) },
      { name: 'INPUT1', datatype: 'INT32', shape: [2, 16], data: i32(ones(32)) },
    ], [{ name: 'OUTPUT1' }]);
    const b = request(spec, [
      { name: 'INPUT0', datatype: 'INT32', shape: [3, 16], data: i32(seq(100, 48)) },
      { name: 'INPUT1', datatype: 'INT32', shape: [3, 16], data: i32(seq(0, 48)) },
    ], [{ name: 'OUTPUT1' }, { name: 'OUTPUT0' }]);
    const c = request(spec, [
      { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: i32(ones(16)) },
      { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: i32(ones(16)) },
    ]);
    await instance.execute([a.request, b.request, c.request]);
    assert.deepEqual(only(a).outputs.map((o) => [o.name, o.datatype, o.shape]), [['OUTPUT1', 'INT32', [2, 16]]]);
    assert.deepEqual(readI32(output(a, 'OUTPUT1').data), seq(-1, 32));
    assert.deepEqual(only(b).outputs.map((o) => [o.name, o.shape]), [['OUTPUT1', [3, 16]], ['OUTPUT0', [3, 16]]]);
    assert.deepEqual(readI32(output(b, 'OUTPUT1').data), new Array<number>(48).fill(100));
    assert.deepEqual(readI32(output(b, 'OUTPUT0').data), seq(0, 48).map((i) => 100 + 2 * i));
    assert.deepEqual(only(c).outputs.map((o) => o.name), ['OUTPUT0', 'OUTPUT1']);
    assert.deepEqual(readI32(output(c, 'OUTPUT0').data), new Array<number>(16).fill(2));
    assert.deepEqual(readI32(output(c, 'OUTPUT1').data), new Array<number>(16).fill(0));
  });
});

test('config reshape: the model sees the reshape, the client sees config dims (and per-item scalars)', async () => {
  const model = new GraphBuilder('reshaped')
    .input('FLAT', 'FLOAT', ['batch', 4]).input('S', 'INT64', ['batch'])
    .initializer('k', 'FLOAT', [4], [1, 10, 100, 1000])
    .node('Mul', ['FLAT', 'k'], ['OUT']).node('Identity', ['S'], ['S_OUT'])
    .output('OUT', 'FLOAT', ['batch', 4]).output('S_OUT', 'INT64', ['batch'])
    .toBytes();
  const config: ModelConfig = {
    max_batch_size: 4,
    input: [
      { name: 'FLAT', data_type: 'TYPE_FP32', dims: [2, 2], reshape: { shape: [4] } },
      { name: 'S', data_type: 'TYPE_INT64', dims: [1], reshape: { shape: [] } },
    ],
    output: [
      { name: 'OUT', data_type: 'TYPE_FP32', dims: [2, 2], reshape: { shape: [4] } },
      { name: 'S_OUT', data_type: 'TYPE_INT64', dims: [1], reshape: { shape: [] } },
    ],
  };
  await withInstance('reshaped', model, config, async (instance) => {
    const spec = specOf({ name: 'reshaped', ...config });
    const r1 = request(spec, [
      { name: 'FLAT', datatype: 'FP32', shape: [1, 2, 2], data: f32([1, 2, 3, 4]) },
      { name: 'S', datatype: 'INT64', shape: [1, 1], data: new Uint8Array(new BigInt64Array([42n]).buffer) },
    ]);
    const r2 = request(spec, [
      { name: 'FLAT', datatype: 'FP32', shape: [2, 2, 2], data: f32([1, 1, 1, 1, 2, 2, 2, 2]) },
      { name: 'S', datatype: 'INT64', shape: [2, 1], data: new Uint8Array(new BigInt64Array([-1n, 7n]).buffer) },
    ]);
    await instance.execute([r1.request, r2.request]);
    assert.deepEqual(output(r1, 'OUT').shape, [1, 2, 2]);
    assert.deepEqual(readF32(output(r1, 'OUT').data), [1, 20, 300, 4000]);
    assert.deepEqual(output(r2, 'OUT').shape, [2, 2, 2]);
    assert.deepEqual(readF32(output(r2, 'OUT').data), [1, 10, 100, 1000, 2, 20, 200, 2000]);
    assert.deepEqual(output(r1, 'S_OUT').shape, [1, 1]);
    assert.deepEqual(output(r2, 'S_OUT').shape, [2, 1]);
    assert.deepEqual([...new BigInt64Array(output(r2, 'S_OUT').data.slice().buffer)], [-1n, 7n]);
  });
});

test('an absent optional input is left out of the feed (ORT uses the initializer default)', async () => {
  const model = new GraphBuilder('optional')
    .input('x', 'FLOAT', [3])
    .initializer('bias', 'FLOAT', [3], [10, 20, 30], { overridable: true })
    .node('Add', ['x', 'bias'], ['y'])
    .output('y', 'FLOAT', [3])
    .toBytes();
  const config: ModelConfig = {
    max_batch_size: 0,
    input: [{ name: 'x', data_type: 'TYPE_FP32', dims: [3] }, { name: 'bias', data_type: 'TYPE_FP32', dims: [3], optional: true }],
    output: [{ name: 'y', data_type: 'TYPE_FP32', dims: [3] }],
  };
  await withInstance('optional', model, config, async (instance) => {
    const spec = specOf({ name: 'optional', ...config });
    const omitted = request(spec, [{ name: 'x', datatype: 'FP32', shape: [3], data: f32([1, 2, 3]) }]);
    const given = request(spec, [
      { name: 'x', datatype: 'FP32', shape: [3], data: f32([1, 2, 3]) },
      { name: 'bias', datatype: 'FP32', shape: [3], data: f32([0, 0, 0]) },
    ]);
    await instance.execute([omitted.request, given.request]);
    assert.deepEqual(output(omitted, 'y').shape, [3]);
    assert.deepEqual(readF32(output(omitted, 'y').data), [11, 22, 33]);
    assertError(given, 'UNSUPPORTED',
      "input 'bias' for model 'optional' is an initializer of the ONNX model; onnxruntime-node cannot override " +
        'initializers, so this optional input can only be omitted');
  });
});

test('BYTES: UTF-8 strings pass; an element with NUL fails only its own request', async () => {
  const config: ModelConfig = {
    max_batch_size: 8,
    input: [{ name: 'INPUT0', data_type: 'TYPE_STRING', dims: [-1] }],
    output: [{ name: 'OUTPUT0', data_type: 'TYPE_STRING', dims: [-1] }],
  };
  await withInstance('strings', identityModel('STRING', ['batch', 'n']), config, async (instance) => {
    const spec = specOf({ name: 'strings', ...config });
    const good = request(spec, [{ name: 'INPUT0', datatype: 'BYTES', shape: [2, 2], data: encodeBytesElements(['a', 'bb', 'ccc', 'ü']) }]);
    const nul = request(spec, [{ name: 'INPUT0', datatype: 'BYTES', shape: [1, 2], data: encodeBytesElements(['ok', new Uint8Array([104, 0, 105])]) }]);
    const latin1 = request(spec, [{ name: 'INPUT0', datatype: 'BYTES', shape: [1, 1], data: encodeBytesElements([new Uint8Array([0xe9])]) }]);
    const other = request(spec, [{ name: 'INPUT0', datatype: 'BYTES', shape: [1, 2], data: encodeBytesElements(['x', 'y']) }]);
    await instance.execute([good.request, nul.request, latin1.request, other.request]);
    assert.deepEqual(output(good, 'OUTPUT0').shape, [2, 2]);
    assert.deepEqual(decodeBytesElements(output(good, 'OUTPUT0').data).map((e) => Buffer.from(e).toString()), ['a', 'bb', 'ccc', 'ü']);
    assert.deepEqual(decodeBytesElements(output(other, 'OUTPUT0').data).map((e) => Buffer.from(e).toString()), ['x', 'y']);
    assertError(nul, 'INVALID_ARG',
      "input 'INPUT0' for model 'strings': BYTES element 1 contains a NUL byte; ONNX Runtime string tensors end at " +
        'the first NUL, so this element cannot be passed without losing data');
    assertError(latin1, 'INVALID_ARG',
      "input 'INPUT0' for model 'strings': BYTES element 0 is not valid UTF-8; ONNX Runtime string tensors hold UTF-8 text only");
  });
});

test('an ONNX Runtime error during the run answers the batch with INTERNAL and ORT\'s message', async () => {
  const model = new GraphBuilder('bad_add')
    .input('a', 'FLOAT', ['n']).input('b', 'FLOAT', ['m'])
    .node('Add', ['a', 'b'], ['c'], {}, { name: 'add_ab' })
    .output('c', 'FLOAT', [null])
    .toBytes();
  const config: ModelConfig = {
    max_batch_size: 0,
    input: [{ name: 'a', data_type: 'TYPE_FP32', dims: [-1] }, { name: 'b', data_type: 'TYPE_FP32', dims: [-1] }],
    output: [{ name: 'c', data_type: 'TYPE_FP32', dims: [-1] }],
  };
  await withInstance('bad_add', model, config, async (instance) => {
    const spec = specOf({ name: 'bad_add', ...config });
    const bad = request(spec, [
      { name: 'a', datatype: 'FP32', shape: [2], data: f32([1, 2]) },
      { name: 'b', datatype: 'FP32', shape: [3], data: f32([1, 2, 3]) },
    ]);
    const fine = request(spec, [
      { name: 'a', datatype: 'FP32', shape: [2], data: f32([1, 2]) },
      { name: 'b', datatype: 'FP32', shape: [2], data: f32([3, 4]) },
    ]);
    await instance.execute([bad.request, fine.request]);
    assertError(bad, 'INTERNAL',
      "onnx runtime error: Non-zero status code returned while running Add node. Name:'add_ab' Status Message: " +
        '/onnxruntime_src/onnxruntime/core/providers/cpu/math/element_wise_ops.h:563 void ' +
        'onnxruntime::BroadcastIterator::Init(ptrdiff_t, ptrdiff_t) axis == 1 || axis == largest was false. ' +
        'Attempting to broadcast an axis by a dimension other than 1. 2 by 3');
    assert.deepEqual(readF32(output(fine, 'c').data), [4, 6]);
  });
});

test('explicit configs are checked against the model at load, with Triton\'s messages', async () => {
  const model = identityModel('FLOAT', ['batch', 4]);
  const cases: [ModelConfig, string, string][] = [
    [{ max_batch_size: 8, input: [{ name: 'IN', data_type: 'TYPE_FP32', dims: [4] }], output: [{ name: 'OUTPUT0', data_type: 'TYPE_FP32', dims: [4] }] },
      'INVALID_ARG', "unexpected inference input 'IN', allowed inputs are: INPUT0"],
    [{ max_batch_size: 8, input: [{ name: 'INPUT0', data_type: 'TYPE_FP32', dims: [4] }], output: [{ name: 'OUT', data_type: 'TYPE_FP32', dims: [4] }] },
      'INVALID_ARG', "unexpected inference output 'OUT', allowed outputs are: OUTPUT0"],
    [{ max_batch_size: 8, input: [{ name: 'INPUT0', data_type: 'TYPE_INT32', dims: [4] }], output: [{ name: 'OUTPUT0', data_type: 'TYPE_FP32', dims: [4] }] },
      'INVALID_ARG', "unable to load model 'm', configuration expects datatype TYPE_INT32 for input 'INPUT0', model provides TYPE_FP32"],
    [{ max_batch_size: 8, input: [{ name: 'INPUT0', data_type: 'TYPE_BF16', dims: [4] }], output: [{ name: 'OUTPUT0', data_type: 'TYPE_FP32', dims: [4] }] },
      'UNSUPPORTED', "unsupported datatype TYPE_BF16 for input 'INPUT0' for model 'm': onnxruntime-node has no bfloat16 tensors"],
    [{ max_batch_size: 8, input: [{ name: 'INPUT0', data_type: 'TYPE_FP32', dims: [5] }], output: [{ name: 'OUTPUT0', data_type: 'TYPE_FP32', dims: [4] }] },
      'INVALID_ARG', "model 'm', tensor 'INPUT0': the model expects 2 dimensions (shape [-1,4]) but the model configuration " +
        'specifies 2 dimensions (an initial batch dimension because max_batch_size > 0 followed by the explicit tensor shape, ' +
        'making complete shape [-1,5])'],
    [{ max_batch_size: 0, input: [{ name: 'INPUT0', data_type: 'TYPE_FP32', dims: [4] }], output: [{ name: 'OUTPUT0', data_type: 'TYPE_FP32', dims: [4] }] },
      'INVALID_ARG', "model 'm', tensor 'INPUT0': the model expects 2 dimensions (shape [-1,4]) but the model configuration specifies 1 dimensions (shape [4])"],
    [{ max_batch_size: 8, input: [], output: [{ name: 'OUTPUT0', data_type: 'TYPE_FP32', dims: [4] }] },
      'INVALID_ARG', "unable to load model 'm', configuration expects 0 inputs, model provides 1"],
    [{ max_batch_size: 8, input: [{ name: 'INPUT0', data_type: 'TYPE_FP32', dims: [4], optional: true }], output: [{ name: 'OUTPUT0', data_type: 'TYPE_FP32', dims: [4] }] },
      'INVALID_ARG', "unable to load model 'm', optional input 'INPUT0' is not supported for models that support batching"],
    [{ max_batch_size: 8, parameters: { execution_mode: { string_value: '2' } }, input: [{ name: 'INPUT0', data_type: 'TYPE_FP32', dims: [4] }], output: [{ name: 'OUTPUT0', data_type: 'TYPE_FP32', dims: [4] }] },
      'INVALID_ARG', 'Invalid configuration value provided. Expected values for  execution_mode are 0 or 1 but got 2 .'],
  ];
  for (const [config, code, message] of cases) {
    const full = { name: 'm', ...config };
    const ctx = modelOnDisk('m', model, full);
    try {
      const m = await backend.createModel(ctx);
      await assert.rejects(m.createInstance(instanceContext(full)), (e: unknown) => {
        assert.ok(e instanceof ServerError, String(e));
        assert.equal(e.message, message);
        assert.equal(e.code, code);
        return true;
      });
    } finally {
      ctx.cleanup();
    }
  }
});

test('dispose terminates the worker; later executions are answered UNAVAILABLE', async () => {
  const config: ModelConfig = {
    name: 'idf', max_batch_size: 8,
    input: [{ name: 'INPUT0', data_type: 'TYPE_FP32', dims: [-1] }], output: [{ name: 'OUTPUT0', data_type: 'TYPE_FP32', dims: [-1] }],
  };
  const ctx = modelOnDisk('idf', identityModel('FLOAT', ['batch', 'n']), config);
  const instance = await (await backend.createModel(ctx)).createInstance(instanceContext(config));
  await instance.dispose();
  const r = request(specOf(config), [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 1], data: f32([1]) }]);
  await instance.execute([r.request]);
  assertError(r, 'UNAVAILABLE', "onnxruntime instance 'idf_0_0' was unloaded");
  ctx.cleanup();
});
