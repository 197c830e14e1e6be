/** normalizeConfig: Triton's load-time defaults (spec §6.2, §7). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeConfig, type ModelConfig } from '../../src/config/index.js';

const PINNED = { input_pinned_memory: { enable: true }, output_pinned_memory: { enable: true } };

test('empty config: name, latest 1, pinned memory, one CPU group named after the model', () => {
  assert.deepEqual(normalizeConfig({}, { modelName: 'm' }), {
    name: 'm', version_policy: { latest: { num_versions: 1 } }, optimization: PINNED,
    instance_group: [{ name: 'm', kind: 'KIND_CPU', count: 1 }],
  });
});

test('instance groups: unnamed -> <model>_<idx>, KIND_AUTO -> CPU without GPUs, count 2 for onnxruntime CPU', () => {
  const out = normalizeConfig({
    backend: 'onnxruntime',
    instance_group: [{ count: 3 }, { name: 'named', kind: 'KIND_MODEL' }, { kind: 'KIND_AUTO' }, { kind: 'KIND_CPU', count: -1 }],
  }, { modelName: 'm' });
  assert.deepEqual(out.instance_group, [
    { name: 'm_0', kind: 'KIND_CPU', count: 3 },
    { name: 'named', kind: 'KIND_MODEL', count: 1 },
    { name: 'm_2', kind: 'KIND_CPU', count: 2 },
    { name: 'm_3', kind: 'KIND_CPU', count: 2 },
  ]);
  assert.deepEqual(normalizeConfig({ backend: 'python' }, { modelName: 'p' }).instance_group, [{ name: 'p', kind: 'KIND_CPU', count: 1 }]);
});

test('with GPUs: KIND_AUTO -> GPU listing every GPU, unless a listed GPU is missing', () => {
  const out = normalizeConfig({ instance_group: [{}, { gpus: [5] }, { kind: 'KIND_GPU' }] }, { modelName: 'm', gpuCount: 2 });
  assert.deepEqual(out.instance_group, [
    { name: 'm_0', kind: 'KIND_GPU', count: 1, gpus: [0, 1] },
    { name: 'm_1', kind: 'KIND_CPU', gpus: [5], count: 1 },
    { name: 'm_2', kind: 'KIND_GPU', count: 1, gpus: [0, 1] },
  ]);
});

test('dynamic batching: preferred_batch_size defaults to [max_batch_size] only when batching', () => {
  assert.deepEqual(normalizeConfig({ max_batch_size: 8, dynamic_batching: {} }, { modelName: 'm' }).dynamic_batching, { preferred_batch_size: [8] });
  assert.deepEqual(normalizeConfig({ dynamic_batching: {} }, { modelName: 'm' }).dynamic_batching, {});
  assert.deepEqual(
    normalizeConfig({ max_batch_size: 8, dynamic_batching: { preferred_batch_size: [2, 4] } }, { modelName: 'm' }).dynamic_batching,
    { preferred_batch_size: [2, 4] },
  );
});

test('sequence batching: idle 0 -> 1 s; oldest preferred sizes default', () => {
  const out = normalizeConfig({ max_batch_size: 4, sequence_batching: { oldest: { max_candidate_sequences: 2 } } }, { modelName: 'm' });
  assert.deepEqual(out.sequence_batching, {
    max_sequence_idle_microseconds: 1000000, oldest: { max_candidate_sequences: 2, preferred_batch_size: [4] },
  });
  assert.equal(
    normalizeConfig({ sequence_batching: { max_sequence_idle_microseconds: 5 } }, { modelName: 'm' }).sequence_batching?.max_sequence_idle_microseconds,
    5,
  );
});

test('explicit pinned-memory settings and version policy are kept', () => {
  const out = normalizeConfig(
    { version_policy: { all: {} }, optimization: { input_pinned_memory: {}, priority: 'PRIORITY_MAX' } },
    { modelName: 'm' },
  );
  assert.deepEqual(out.version_policy, { all: {} });
  assert.deepEqual(out.optimization, { input_pinned_memory: {}, priority: 'PRIORITY_MAX', output_pinned_memory: { enable: true } });
});

test('ensembles get neither instance groups nor optimization; the argument is not mutated', () => {
  const config: ModelConfig = { name: 'e', platform: 'ensemble', ensemble_scheduling: { step: [] } };
  const out = normalizeConfig(config, { modelName: 'e' });
  assert.deepEqual(out, { ...config, version_policy: { latest: { num_versions: 1 } } });
  assert.deepEqual(config, { name: 'e', platform: 'ensemble', ensemble_scheduling: { step: [] } });
});
