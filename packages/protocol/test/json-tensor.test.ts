import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeBytesElements, formatJsonDouble, jsonDataToBytes, JsonTensorError, MAX_JSON_DATA_DEPTH, tensorToJsonText,
  tensorToJsonValues,
} from '../src/index.js';

const rejects = (fn: () => unknown, code: string, message: string) =>
  assert.throws(fn, (e: unknown) => e instanceof JsonTensorError && e.code === code && e.message === message);

test('nested and flat data give the same row-major bytes', () => {
  const flat = jsonDataToBytes('X', 'INT32', [1, -2, 3, 4], 4);
  const nested = jsonDataToBytes('X', 'INT32', [[1, -2], [3, 4]], 4);
  assert.deepEqual([...new Int32Array(flat.buffer, flat.byteOffset, 4)], [1, -2, 3, 4]);
  assert.deepEqual(nested, flat);
});

test('every fixed-size datatype converts both ways', () => {
  const cases: [Parameters<typeof jsonDataToBytes>[1], unknown[], string][] = [
    ['BOOL', [true, false], '[true,false]'],
    ['UINT8', [0, 255], '[0,255]'],
    ['UINT16', [65535], '[65535]'],
    ['UINT32', [4294967295], '[4294967295]'],
    ['UINT64', [2 ** 53], '[9007199254740992]'],
    ['INT8', [-128, 127], '[-128,127]'],
    ['INT16', [-32768], '[-32768]'],
    ['INT32', [-2147483648], '[-2147483648]'],
    ['INT64', [-(2 ** 60)], '[-1152921504606846976]'],
    ['FP32', [0.5, 1, 0.1], '[0.5,1.0,0.10000000149011612]'],
    ['FP64', [0.1, -3, 1e21], '[0.1,-3.0,1e21]'],
  ];
  for (const [dt, data, text] of cases) {
    const bytes = jsonDataToBytes('X', dt, data, data.length);
    assert.equal(tensorToJsonText('Y', dt, bytes, data.length), text, dt);
  }
  assert.deepEqual(tensorToJsonValues('Y', 'INT64', jsonDataToBytes('X', 'INT64', [5], 1), 1), [5n]);
  assert.deepEqual(tensorToJsonValues('Y', 'BOOL', new Uint8Array([1, 0]), 2), [true, false]);
});

test('narrow integer types wrap like C casts', () => {
  assert.deepEqual([...jsonDataToBytes('X', 'INT8', [200], 1)], [200]);
  assert.deepEqual([...jsonDataToBytes('X', 'UINT8', [257], 1)], [1]);
});

test('BYTES strings become length-prefixed UTF-8 and back', () => {
  const bytes = jsonDataToBytes('X', 'BYTES', [['hé', ''], ['x']], 3);
  assert.deepEqual(decodeBytesElements(bytes).map((b) => [...b]), [[0x68, 0xc3, 0xa9], [], [0x78]]);
  assert.equal(tensorToJsonText('Y', 'BYTES', bytes, 3), '["hé","","x"]');
  assert.deepEqual(tensorToJsonValues('Y', 'BYTES', bytes, 3), ['hé', '', 'x']);
});

test('wrong element types carry Triton accessor texts', () => {
  rejects(() => jsonDataToBytes('X', 'INT32', [1, 'a'], 2), 'INTERNAL',
    "Unable to parse 'data': attempt to access JSON non-signed-integer as signed-integer");
  rejects(() => jsonDataToBytes('X', 'INT32', [1.5], 1), 'INTERNAL',
    "Unable to parse 'data': attempt to access JSON non-signed-integer as signed-integer");
  rejects(() => jsonDataToBytes('X', 'UINT8', [-1], 1), 'INTERNAL',
    "Unable to parse 'data': attempt to access JSON non-unsigned-integer as unsigned-integer");
  rejects(() => jsonDataToBytes('X', 'FP32', [true], 1), 'INTERNAL',
    "Unable to parse 'data': attempt to access JSON non-number as double");
  rejects(() => jsonDataToBytes('X', 'BOOL', [1], 1), 'INTERNAL',
    "Unable to parse 'data': attempt to access JSON non-boolean as boolean");
  rejects(() => jsonDataToBytes('X', 'BYTES', ['a', 1], 2), 'INTERNAL',
    'Unable to parse JSON bytes array: attempt to access JSON non-string as string');
  rejects(() => jsonDataToBytes('X', 'INT32', 5, 1), 'INTERNAL',
    "Unable to parse 'data': attempt to access JSON non-array as array");
});

test('element count must match the shape, nested or flat', () => {
  const msg = "Unable to parse 'data': Shape does not match true shape of 'data' field";
  rejects(() => jsonDataToBytes('X', 'INT32', [1, 2, 3], 2), 'INTERNAL', msg);
  rejects(() => jsonDataToBytes('X', 'INT32', [[1], [2, 3]], 2), 'INTERNAL', msg);
  rejects(() => jsonDataToBytes('X', 'INT32', [1], 2), 'INTERNAL', msg);
  rejects(() => jsonDataToBytes('X', 'FP32', [[1], []], 2), 'INTERNAL', msg);
  assert.equal(jsonDataToBytes('X', 'INT32', 'not parsed', 0).byteLength, 0);
});

test('FP16/BF16 are refused in JSON, input and output', () => {
  rejects(() => jsonDataToBytes('IN', 'FP16', [1], 1), 'INVALID_ARG',
    'receiving FP16 data via JSON is not supported. Please use the binary data format for input IN');
  rejects(() => jsonDataToBytes('IN', 'BF16', [1], 1), 'INVALID_ARG',
    'receiving BF16 data via JSON is not supported. Please use the binary data format for input IN');
  rejects(() => tensorToJsonText('OUT', 'FP16', new Uint8Array(2), 1), 'INVALID_ARG',
    'sending FP16 data via JSON is not supported. Please use the binary data format for output');
});

test('nesting deeper than the limit is refused', () => {
  let ok: unknown = [1];
  for (let i = 1; i < MAX_JSON_DATA_DEPTH; i++) ok = [ok];
  assert.equal(jsonDataToBytes('X', 'INT32', ok, 1).byteLength, 4);
  rejects(() => jsonDataToBytes('X', 'INT32', [ok], 1), 'INVALID_ARG',
    `Unable to parse 'data': JSON nesting depth exceeds maximum allowed limit (${MAX_JSON_DATA_DEPTH})`);
});

test('output size mismatch and double formatting', () => {
  rejects(() => tensorToJsonText('OUT', 'INT32', new Uint8Array(6), 2), 'INTERNAL',
    "output tensor shape does not match size of output for 'OUT'");
  assert.equal(formatJsonDouble(NaN), 'NaN');
  assert.equal(formatJsonDouble(-Infinity), '-Infinity');
  assert.equal(formatJsonDouble(1e-7), '1e-7');
  // An unaligned view is read correctly (copied once).
  const buf = new Uint8Array(9);
  new DataView(buf.buffer).setInt32(1, 7, true);
  new DataView(buf.buffer).setInt32(5, -1, true);
  assert.equal(tensorToJsonText('OUT', 'INT32', buf.subarray(1), 2), '[7,-1]');
  // Same through a Node Buffer, whose slice() is a view rather than a copy.
  const nodeBuf = Buffer.alloc(9);
  nodeBuf.writeInt32LE(7, 1);
  nodeBuf.writeInt32LE(-1, 5);
  assert.equal(tensorToJsonText('OUT', 'INT32', nodeBuf.subarray(1), 2), '[7,-1]');
});
