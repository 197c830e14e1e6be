import { test } from 'node:test';
import assert from 'node:assert/strict';
import { joinBinaryBody, parseHeaderLength, splitBinaryBody } from '../src/index.js';

test('header length parses like C atoi', () => {
  assert.equal(parseHeaderLength('42'), 42);
  assert.equal(parseHeaderLength('  7x'), 7);
  assert.equal(parseHeaderLength('-5'), -5);
  assert.equal(parseHeaderLength('abc'), 0);
  assert.equal(parseHeaderLength(''), 0);
});

test('split gives views; join concatenates header and blobs', () => {
  const joined = joinBinaryBody('{"a":1}', [new Uint8Array([1, 2]), new Uint8Array(0), new Uint8Array([3])]);
  assert.equal(joined.headerLength, 7);
  assert.deepEqual([...joined.body.subarray(7)], [1, 2, 3]);
  const split = splitBinaryBody(joined.body, joined.headerLength);
  assert.equal(new TextDecoder().decode(split.header), '{"a":1}');
  assert.deepEqual([...split.binary], [1, 2, 3]);
  assert.equal(split.binary.buffer, joined.body.buffer);
  assert.throws(() => splitBinaryBody(joined.body, 11), RangeError);
  assert.throws(() => splitBinaryBody(joined.body, -1), RangeError);
});
