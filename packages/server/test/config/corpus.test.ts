/**
 * Every fixture config: pbtxt -> print -> pbtxt and pbtxt -> /config JSON -> JSON parse must give back the
 * same ModelConfig, and each one passes core auto-complete, normalization and validation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  completePlatform, normalizeConfig, parseModelConfigJson, parseModelConfigText, printModelConfigText, renderConfigJson,
  validateConfig,
} from '../../src/config/index.js';

const dir = fileURLToPath(new URL('../fixtures/configs/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.pbtxt')).sort();

test('the corpus has at least 15 fixtures', () => {
  assert.ok(files.length >= 15, `only ${files.length} fixtures`);
});

for (const file of files) {
  const path = join(dir, file);
  const text = readFileSync(path, 'utf8');
  const modelName = file.replace(/\.pbtxt$/, '');

  test(`${file}: parse -> print -> parse is the identity`, () => {
    const parsed = parseModelConfigText(text, path);
    const printed = printModelConfigText(parsed);
    assert.deepEqual(parseModelConfigText(printed, 'printed.pbtxt'), parsed);
    // Printing is stable: a second round prints the same text.
    assert.equal(printModelConfigText(parseModelConfigText(printed, 'printed.pbtxt')), printed);
  });

  test(`${file}: parse -> renderConfigJson -> parseModelConfigJson is the identity`, () => {
    const parsed = parseModelConfigText(text, path);
    const rendered = renderConfigJson(parsed);
    assert.deepEqual(parseModelConfigJson(rendered), parsed);
    assert.deepEqual(parseModelConfigJson(JSON.stringify(rendered)), parsed);
  });

  test(`${file}: completes, normalizes and validates`, () => {
    const completed = completePlatform(parseModelConfigText(text, path), modelName, []);
    const normalized = normalizeConfig(completed, { modelName });
    validateConfig(normalized, modelName);
    assert.equal(normalized.name, modelName);
  });
}

test('syntax_variety.pbtxt reads every spelling right', () => {
  const c = parseModelConfigText(readFileSync(join(dir, 'syntax_variety.pbtxt'), 'utf8'), 'syntax_variety.pbtxt');
  assert.deepEqual(c, {
    name: 'syntax_variety',
    platform: 'onnxruntime_onnx',
    max_batch_size: 16,
    input: [
      {
        name: 'esc\t"q"\\AAé', data_type: 'TYPE_FP32', dims: [-1, 8], reshape: { shape: [-1, 8] }, allow_ragged_batch: true,
      },
      { name: 'second', data_type: 'TYPE_BF16', dims: [2] },
    ],
    output: [{ name: 'out', data_type: 'TYPE_FP32', dims: [1], reshape: {} }],
    sequence_batching: {
      max_sequence_idle_microseconds: 9007199254740991,
      control_input: [{ name: 'S', control: [{ fp32_false_true: [-0.5, 1.5] }] }],
    },
    version_policy: { latest: { num_versions: 2 } },
    instance_group: [{ kind: 'KIND_CPU', count: 1 }],
    parameters: { a: { string_value: '1' }, b: {} },
  });
});

test('fixtures keep maps, oneofs and nested messages', () => {
  const read = (f: string) => parseModelConfigText(readFileSync(join(dir, f), 'utf8'), f);
  const seq = read('sequence_direct.pbtxt').sequence_batching!;
  assert.deepEqual(seq.state?.[0]?.initial_state, [{ name: 'zeros', data_type: 'TYPE_INT32', dims: [1], zero_data: true }]);
  assert.equal(seq.state?.[1]?.initial_state?.[0]?.data_file, 'hidden.bin');
  assert.deepEqual(read('warmup.pbtxt').model_warmup?.[1]?.inputs, {
    IMAGE: { data_type: 'TYPE_FP32', dims: [3, 64, 64], zero_data: false },
  });
  assert.deepEqual(read('priority_queue.pbtxt').dynamic_batching?.priority_queue_policy, {
    1: { timeout_action: 'DELAY', default_timeout_microseconds: 50000, max_queue_size: 8 },
    3: { max_queue_size: 128 },
  });
  assert.deepEqual(read('ensemble_pipeline.pbtxt').ensemble_scheduling?.step?.[0], {
    model_name: 'preprocess', model_version: -1, input_map: { INPUT: 'RAW_IMAGE' }, output_map: { OUTPUT: 'preprocessed_image' },
  });
  assert.deepEqual(read('decoupled_python.pbtxt').input?.map((i) => i.name), ['IN', 'DELAY']);
});
