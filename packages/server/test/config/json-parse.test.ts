/** parseModelConfigJson: the load API's `config` parameter. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseModelConfigJson } from '../../src/config/index.js';

function jsonError(json: unknown): string {
  try {
    parseModelConfigJson(json);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.code, 'INVALID_ARG');
    return err.message;
  }
  assert.fail('expected a ConfigError');
}

test('accepts objects and strings; enums in any case or by number; int64 as string or number', () => {
  const c = parseModelConfigJson(
    '{"name":"m","maxBatchSize":"8","input":[{"name":"x","data_type":"type_fp32","dims":["3",-1]}],' +
      '"instance_group":[{"kind":2,"count":1}],"dynamic_batching":{"max_queue_delay_microseconds":"100",' +
      '"priority_queue_policy":{"1":{"timeout_action":"delay"}}},"parameters":{"k":{"string_value":"v"}}}',
  );
  assert.deepEqual(c, {
    name: 'm', max_batch_size: 8, input: [{ name: 'x', data_type: 'TYPE_FP32', dims: [3, -1] }],
    instance_group: [{ kind: 'KIND_CPU', count: 1 }],
    dynamic_batching: { max_queue_delay_microseconds: 100, priority_queue_policy: { 1: { timeout_action: 'DELAY' } } },
    parameters: { k: { string_value: 'v' } },
  });
});

test('defaults and nulls are "not set"; float strings accepted', () => {
  assert.deepEqual(parseModelConfigJson({ name: '', max_batch_size: 0, output: [], version_policy: null }), {});
  const c = parseModelConfigJson({ sequence_batching: { direct: { minimum_slot_utilization: '0.5' } } });
  assert.deepEqual(c, { sequence_batching: { direct: { minimum_slot_utilization: 0.5 } } });
});

test('errors name the path and the problem', () => {
  assert.equal(jsonError({ input: [{ name: 'a', foo: 1 }] }), "input[0]: unknown field 'foo' in ModelInput");
  assert.equal(jsonError({ bogus: true }), "unknown field 'bogus' in ModelConfig");
  assert.equal(
    jsonError({ input: [{ data_type: 'TYPE_FLOAT' }] }),
    'input[0].data_type: invalid enum value "TYPE_FLOAT" for enum type DataType',
  );
  assert.equal(jsonError({ max_batch_size: 2 ** 31 }), 'max_batch_size: Integer out of range (2147483648)');
  assert.equal(jsonError({ max_batch_size: 1.5 }), 'max_batch_size: invalid value 1.5 for type int32');
  assert.equal(jsonError({ input: [{ dims: [1, 'x'] }] }), 'input[0].dims[1]: invalid value "x" for type int64');
  assert.equal(jsonError({ name: 5 }), 'name: expected a string, got 5');
  assert.equal(jsonError({ response_cache: { enable: 'true' } }), 'response_cache.enable: expected true or false, got "true"');
  assert.equal(jsonError({ input: {} }), "input: expected an array for repeated field 'input'");
  assert.equal(
    jsonError({ dynamic_batching: { priority_queue_policy: { x: {} } } }),
    'dynamic_batching.priority_queue_policy.x: invalid value "x" for type uint64',
  );
  assert.equal(
    jsonError({ dynamic_batching: {}, sequence_batching: {} }),
    'sequence_batching: Field "sequence_batching" is specified along with field "dynamic_batching", another member of oneof "scheduling_choice".',
  );
  assert.equal(jsonError({ max_batch_size: 1, maxBatchSize: 2 }), 'maxBatchSize: Non-repeated field "max_batch_size" is specified multiple times.');
  assert.match(jsonError('{"name":'), /^failed to parse model configuration JSON: /);
  assert.equal(jsonError([]), 'expected an object for ModelConfig, got []');
});
