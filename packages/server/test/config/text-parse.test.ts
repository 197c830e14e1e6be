/** pbtxt syntax and errors: exact values, exact messages with file:line:col. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseModelConfigText, printModelConfigText } from '../../src/config/index.js';

const F = '/m/config.pbtxt';

function parseError(text: string): string {
  try {
    parseModelConfigText(text, F);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.code, 'INVALID_ARG');
    return err.message;
  }
  assert.fail('expected a ConfigError');
}

test('empty text and comments only give an empty config', () => {
  assert.deepEqual(parseModelConfigText('', F), {});
  assert.deepEqual(parseModelConfigText('# nothing\n  # here\n', F), {});
});

test('proto3 defaults are not stored; oneof members are', () => {
  assert.deepEqual(parseModelConfigText('max_batch_size: 0 name: "" input { optional: false }', F), { input: [{}] });
  assert.deepEqual(
    parseModelConfigText('model_warmup { inputs { key: "x" value { zero_data: false } } }', F),
    { model_warmup: [{ inputs: { x: { zero_data: false } } }] },
  );
});

test('scalars: ints, floats, bools, strings', () => {
  const c = parseModelConfigText(
    `dynamic_batching { max_queue_delay_microseconds: 9007199254740991 priority_levels: 0x1F }
     max_batch_size: -0
     model_transaction_policy { decoupled: 1 }
     response_cache { enable: true }`,
    F,
  );
  assert.deepEqual(c, {
    dynamic_batching: { max_queue_delay_microseconds: 9007199254740991, priority_levels: 31 },
    model_transaction_policy: { decoupled: true },
    response_cache: { enable: true },
  });
  const s = parseModelConfigText(
    'sequence_batching { direct { minimum_slot_utilization: .25f } control_input { control { fp32_false_true: [ -inf, nan, 1e-3, 2 ] } } }',
    F,
  );
  assert.equal(s.sequence_batching?.direct?.minimum_slot_utilization, 0.25);
  const v = s.sequence_batching?.control_input?.[0]?.control?.[0]?.fp32_false_true ?? [];
  assert.equal(v[0], -Infinity);
  assert.ok(Number.isNaN(v[1]));
  assert.deepEqual(v.slice(2), [0.001, 2]);
});

test('strings: escapes, octal/hex bytes as UTF-8, \\u, concatenation', () => {
  const c = parseModelConfigText(String.raw`name: "a\n\t\\\'\"" 'b"c' "\303\251\xC3\xA9\u00e9"`, F);
  assert.equal(c.name, 'a\n\t\\\'"b"cééé');
  assert.equal(printModelConfigText({ name: 'q"\\\n\u0001é' }), 'name: "q\\"\\\\\\n\\001é"\n');
});

test('messages: braces, angle brackets, optional colon, lists of messages, separators', () => {
  const a = parseModelConfigText('input { name: "a" }; input: < name: "b" >, input [ { name: "c" }, < name: "d" > ]', F);
  assert.deepEqual(a.input?.map((i) => i.name), ['a', 'b', 'c', 'd']);
  assert.deepEqual(parseModelConfigText('input [ ] output []', F), {});
});

test('map entries: later key wins; missing key and value take defaults', () => {
  const c = parseModelConfigText(
    'metric_tags { key: "a" value: "1" } metric_tags { key: "a" value: "2" } metric_tags { value: "x" } metric_tags { key: "e" }',
    F,
  );
  assert.deepEqual(c.metric_tags, { a: '2', '': 'x', e: '' });
  const p = parseModelConfigText('dynamic_batching { priority_queue_policy { key: 18446744073 value { } } }', F);
  assert.deepEqual(p.dynamic_batching?.priority_queue_policy, { 18446744073: {} });
});

test('enums by name or number', () => {
  const c = parseModelConfigText('instance_group { kind: 2 } instance_group { kind: KIND_GPU }', F);
  assert.deepEqual(c.instance_group, [{ kind: 'KIND_CPU' }, { kind: 'KIND_GPU' }]);
});

test('unknown field names its message, line and column', () => {
  assert.equal(
    parseError('name: "m"\ninput [\n  { foo: 1 }\n]'),
    "/m/config.pbtxt:3:5: unknown field 'foo' in ModelInput",
  );
  assert.equal(parseError('  bogus { }'), "/m/config.pbtxt:1:3: unknown field 'bogus' in ModelConfig");
  assert.equal(
    parseError('sequence_batching {\n  control_input { control { kinds: 1 } }\n}'),
    "/m/config.pbtxt:2:29: unknown field 'kinds' in ModelSequenceBatching.Control",
  );
  assert.equal(
    parseError('parameters { key: "a" val { } }'),
    "/m/config.pbtxt:1:23: unknown field 'val' in ModelConfig.ParametersEntry",
  );
});

test('two members of one oneof, or a singular field twice, are errors', () => {
  assert.equal(
    parseError('dynamic_batching { }\nsequence_batching { }'),
    '/m/config.pbtxt:2:1: Field "sequence_batching" is specified along with field "dynamic_batching", another member of oneof "scheduling_choice".',
  );
  assert.equal(
    parseError('version_policy { all {} latest {} }'),
    '/m/config.pbtxt:1:25: Field "latest" is specified along with field "all", another member of oneof "policy_choice".',
  );
  assert.equal(
    parseError('model_warmup { inputs { key: "x" value { zero_data: true random_data: true } } }'),
    '/m/config.pbtxt:1:58: Field "random_data" is specified along with field "zero_data", another member of oneof "input_data_type".',
  );
  assert.equal(parseError('max_batch_size: 4\nmax_batch_size: 8'), '/m/config.pbtxt:2:1: Non-repeated field "max_batch_size" is specified multiple times.');
  assert.equal(parseError('optimization { }\noptimization { }'), '/m/config.pbtxt:2:1: Non-repeated field "optimization" is specified multiple times.');
});

test('wrong value types and out-of-range integers point at the value', () => {
  assert.equal(parseError('max_batch_size: "8"'), '/m/config.pbtxt:1:17: Expected integer, got: "8"');
  assert.equal(parseError('max_batch_size: 1.5'), '/m/config.pbtxt:1:17: Expected integer, got: 1.5');
  assert.equal(parseError('max_batch_size: 2147483648'), '/m/config.pbtxt:1:17: Integer out of range (2147483648)');
  assert.equal(parseError('max_batch_size: -2147483649'), '/m/config.pbtxt:1:18: Integer out of range (-2147483649)');
  assert.equal(parseError('version_policy { latest { num_versions: -1 } }'), '/m/config.pbtxt:1:41: Expected integer, got: -');
  assert.equal(
    parseError('version_policy { latest { num_versions: 4294967296 } }'),
    '/m/config.pbtxt:1:41: Integer out of range (4294967296)',
  );
  assert.equal(parseError('name: 5'), '/m/config.pbtxt:1:7: Expected string, got: 5');
  assert.equal(
    parseError('response_cache { enable: yes }'),
    '/m/config.pbtxt:1:26: Invalid value for boolean field "enable". Value: "yes".',
  );
  assert.equal(
    parseError('input { data_type: TYPE_FLOAT }'),
    '/m/config.pbtxt:1:20: Unknown enumeration value of "TYPE_FLOAT" for field "data_type".',
  );
  assert.equal(parseError('input { data_type: 99 }'), '/m/config.pbtxt:1:20: Unknown enumeration value of "99" for field "data_type".');
});

test('syntax errors', () => {
  assert.equal(parseError('name "m"'), '/m/config.pbtxt:1:6: Expected ":", found ""m"".');
  assert.equal(parseError('input {\n  name: "a"\n'), '/m/config.pbtxt:3:1: Expected "}".');
  assert.equal(parseError('input { name: "a" >'), '/m/config.pbtxt:1:19: Expected identifier, got: >');
  assert.equal(parseError('name: "abc'), '/m/config.pbtxt:1:7: Unexpected end of string.');
  assert.equal(parseError('name: "a\\qb"'), '/m/config.pbtxt:1:7: Invalid escape sequence in string literal.');
  assert.equal(parseError('max_batch_size: 4 $'), "/m/config.pbtxt:1:19: Invalid character '$'");
  assert.equal(parseError('optimization: 3'), '/m/config.pbtxt:1:15: Expected "{", found "3".');
  assert.equal(parseError('name: ["a"]'), '/m/config.pbtxt:1:7: Expected string, got: [');
});
