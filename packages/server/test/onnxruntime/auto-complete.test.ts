import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import backend from '../../src/backends/onnxruntime/index.js';
import { ServerError } from '../../src/core/index.js';
import type { ModelConfig } from '../../src/config/types.js';
import { GraphBuilder } from '../../../../scripts/onnx-builder.js';
import { existingModel, modelOnDisk } from './helpers.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const examples = join(root, 'examples', 'models');
const TEXT_DIRECTION = join(root, 'node_modules', '@gutenye', 'ocr-models', 'assets', 'ch_ppocr_mobile_v2.0_cls_infer.onnx');

async function complete(name: string, config: ModelConfig, modelPath?: string): Promise<ModelConfig> {
  const ctx = existingModel(join(examples, name), name, config);
  const model = await backend.createModel(modelPath === undefined ? ctx : { ...ctx, modelPath });
  return model.autoComplete!({ name, ...config });
}

const isServerError = (code: string, message: string) => (e: unknown): boolean => {
  assert.ok(e instanceof ServerError, String(e));
  assert.equal(e.code, code);
  assert.equal(e.message, message);
  return true;
};

test('autocomplete example: symbolic batch dims give max_batch_size 4 and dynamic batching', async () => {
  assert.deepEqual(await complete('autocomplete', {}), {
    name: 'autocomplete',
    max_batch_size: 4,
    dynamic_batching: {},
    input: [{ name: 'x', data_type: 'TYPE_FP32', dims: [3] }],
    output: [{ name: 'y', data_type: 'TYPE_FP32', dims: [3] }],
  });
});

test('--backend-config default-max-batch-size is used, and 1 adds no dynamic batching', async () => {
  const ctx = existingModel(join(examples, 'autocomplete'), 'autocomplete', {});
  const model = await backend.createModel({ ...ctx, backendConfig: { 'default-max-batch-size': '1' } });
  assert.deepEqual(await model.autoComplete!({ name: 'autocomplete' }), {
    name: 'autocomplete',
    max_batch_size: 1,
    input: [{ name: 'x', data_type: 'TYPE_FP32', dims: [3] }],
    output: [{ name: 'y', data_type: 'TYPE_FP32', dims: [3] }],
  });
});

test('configs listing inputs and outputs are returned untouched', async () => {
  const config: ModelConfig = {
    name: 'simple', platform: 'onnxruntime_onnx', max_batch_size: 8,
    input: [{ name: 'INPUT0', data_type: 'TYPE_INT32', dims: [16] }, { name: 'INPUT1', data_type: 'TYPE_INT32', dims: [16] }],
    output: [{ name: 'OUTPUT0', data_type: 'TYPE_INT32', dims: [16] }, { name: 'OUTPUT1', data_type: 'TYPE_INT32', dims: [16] }],
  };
  assert.deepEqual(await complete('simple', config), config);
});

test('a given max_batch_size and scheduler are kept; only the missing list is filled', async () => {
  assert.deepEqual(
    await complete('classifier', {
      max_batch_size: 8, sequence_batching: {},
      output: [{ name: 'OUTPUT0', data_type: 'TYPE_FP32', dims: [4], label_filename: 'labels.txt' }],
    }),
    {
      name: 'classifier', max_batch_size: 8, sequence_batching: {},
      input: [{ name: 'INPUT0', data_type: 'TYPE_FP32', dims: [4] }],
      output: [{ name: 'OUTPUT0', data_type: 'TYPE_FP32', dims: [4], label_filename: 'labels.txt' }],
    },
  );
});

test('nobatch example: fixed first dim keeps max_batch_size 0 and full dims', async () => {
  assert.deepEqual(await complete('nobatch', {}), {
    name: 'nobatch',
    max_batch_size: 0,
    input: [{ name: 'INPUT0', data_type: 'TYPE_FP32', dims: [2, 3] }],
    output: [{ name: 'OUTPUT0', data_type: 'TYPE_FP32', dims: [2, 3] }],
  });
});

test('text_direction (real PaddleOCR model): dynamic spatial dims become -1', async () => {
  assert.deepEqual(await complete('text_direction', { max_batch_size: 8 }, TEXT_DIRECTION), {
    name: 'text_direction',
    max_batch_size: 8,
    dynamic_batching: {},
    input: [{ name: 'x', data_type: 'TYPE_FP32', dims: [3, -1, -1] }],
    output: [{ name: 'softmax_0.tmp_0', data_type: 'TYPE_FP32', dims: [2] }],
  });
});

test('a model that cannot batch with non-zero max_batch_size fails with Triton\'s message', async () => {
  await assert.rejects(
    complete('nobatch', { max_batch_size: 8 }),
    isServerError('INVALID_ARG',
      "autofill failed for model 'nobatch': model does not support batching while non-zero max_batch_size is specified"),
  );
});

test('rank-0 I/O with batching becomes dims [1] with reshape [] (and no reshape without batching)', async () => {
  const scalar = new GraphBuilder('scalar')
    .input('s', 'INT64', ['batch'])
    .node('Identity', ['s'], ['t'])
    .output('t', 'INT64', ['batch'])
    .toBytes();
  const ctx = modelOnDisk('scalar', scalar, {});
  try {
    const model = await backend.createModel(ctx);
    assert.deepEqual(await model.autoComplete!({ name: 'scalar' }), {
      name: 'scalar', max_batch_size: 4, dynamic_batching: {},
      input: [{ name: 's', data_type: 'TYPE_INT64', dims: [1], reshape: { shape: [] } }],
      output: [{ name: 't', data_type: 'TYPE_INT64', dims: [1], reshape: { shape: [] } }],
    });
  } finally {
    ctx.cleanup();
  }
  const rank0 = new GraphBuilder('rank0').input('s', 'BOOL', []).node('Not', ['s'], ['t']).output('t', 'BOOL', []).toBytes();
  const ctx0 = modelOnDisk('rank0', rank0, {});
  try {
    const model = await backend.createModel(ctx0);
    assert.deepEqual(await model.autoComplete!({ name: 'rank0' }), {
      name: 'rank0', max_batch_size: 0,
      input: [{ name: 's', data_type: 'TYPE_BOOL', dims: [1] }],
      output: [{ name: 't', data_type: 'TYPE_BOOL', dims: [1] }],
    });
  } finally {
    ctx0.cleanup();
  }
});

test('a missing model file is UNAVAILABLE with Triton\'s wording', async () => {
  const ctx = existingModel(join(examples, 'nothere'), 'nothere', {});
  const model = await backend.createModel(ctx);
  await assert.rejects(
    model.autoComplete!({ name: 'nothere' }),
    isServerError('UNAVAILABLE', `unable to find '${join(examples, 'nothere', '1', 'model.onnx')}' for model instance 'nothere'`),
  );
});
