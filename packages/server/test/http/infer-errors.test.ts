import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { encodeFp16 } from '@inferd/protocol';
import {
  inferBinary, inferJson, int32Bytes, range, request, startHarness, type Harness, type HttpResult,
} from '../support/http-harness.js';

let h: Harness;
before(async () => {
  h = await startHarness({ maxInputSize: 1 << 20 });
});
after(async () => {
  await h.close();
});

function expectError(r: HttpResult, status: number, message: string): void {
  assert.equal(r.text, JSON.stringify({ error: message }), `status ${r.status}`);
  assert.equal(r.status, status);
  assert.equal(r.headers['content-type'], 'application/json');
}

const post = (model: string, body: string | Uint8Array, headers: Record<string, string> = {}) =>
  request(h.port, 'POST', `/v2/models/${model}/infer`, { body, headers });
const in0 = (extra: Record<string, unknown>) => ({ name: 'INPUT0', shape: [1, 16], datatype: 'INT32', ...extra });
const in1 = { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: range(16) };

test('malformed JSON: rapidjson reason and byte offset, HTTP 500 like Triton', async () => {
  const cases: [string, string][] = [
    ['  ', 'The document is empty. at 2'],
    ['{bad', 'Missing a name for object member. at 1'],
    ['{"a" 1}', 'Missing a colon after a name of object member. at 5'],
    ['{"a":1 "b":2}', "Missing a comma or '}' after an object member. at 7"],
    ['[1 2]', "Missing a comma or ']' after an array element. at 3"],
    ['{"a":tru}', 'Invalid value. at 8'],
    ['{"a":"x', 'Missing a closing quotation mark in string. at 7'],
    ['{"a":1.}', 'Miss fraction part in number. at 7'],
    ['{} x', 'The document root must not be followed by other values. at 3'],
    ['{"a":"\\q"}', 'Invalid escape character in string. at 6'],
  ];
  for (const [body, msg] of cases) {
    const r = await post('simple', body, { 'Inference-Header-Content-Length': String(Buffer.byteLength(body)) });
    expectError(r, 500, `failed to parse the request JSON buffer: ${msg}`);
  }
  expectError(await post('simple', '   '), 500, 'failed to parse the request JSON buffer: The document is empty. at 3');
});

test('NaN and Infinity parse as rapidjson does', async () => {
  const r = await post('raw_fp32', '{"inputs":[{"name":"INPUT0","shape":[1,2],"datatype":"FP32","data":[NaN,-Infinity]}]}');
  assert.equal(r.status, 200, r.text);
  assert.match(r.text, /"data":\[NaN,-Infinity\]/);
});

test('inputs missing or not an array; bad input fields', async () => {
  expectError(await post('simple', '{}'), 500, "Unable to parse 'inputs': attempt to access non-existing object member 'inputs'");
  expectError(await post('simple', '{"inputs":{}}'), 500, "Unable to parse 'inputs': attempt to access JSON non-array as array");
  expectError(await inferJson(h.port, 'simple', { inputs: [in0({})] }), 400,
    "Input must set only one of the following fields: 'data', 'binary_data_size' in 'parameters', 'shared_memory_region' in 'parameters'. But no field is set");
  expectError(await inferJson(h.port, 'simple', { inputs: [in0({ data: range(16), parameters: { binary_data_size: 64 } })] }), 400,
    "Input must set only one of the following fields: 'data', 'binary_data_size' in 'parameters', 'shared_memory_region' in 'parameters'. But set 'data' 'binary_data_size'");
  expectError(await inferJson(h.port, 'simple', { inputs: [{ shape: [1], datatype: 'INT32', data: [1] }] }), 500,
    "Unable to parse 'name': attempt to access non-existing object member 'name'");
  expectError(await inferJson(h.port, 'simple', { inputs: [in0({ datatype: 7, data: [1] })] }), 500,
    "Unable to parse 'datatype': attempt to access JSON non-string as string");
  expectError(await inferJson(h.port, 'simple', { inputs: [in0({ datatype: 'INT33', data: range(16) }), in1] }), 400,
    'invalid datatype for input INPUT0');
  expectError(await inferJson(h.port, 'simple', { inputs: [in0({ shape: [1, -16], data: range(16) }), in1] }), 500,
    "Unable to parse 'shape': attempt to access JSON non-unsigned-integer as unsigned-integer");
  expectError(await inferJson(h.port, 'simple', { inputs: [in0({ shape: [1, 1.5], data: range(16) }), in1] }), 500,
    "Unable to parse 'shape': attempt to access JSON non-unsigned-integer as unsigned-integer");
  expectError(await inferJson(h.port, 'simple', { id: 5, inputs: [] }), 500, "Unable to parse 'id': attempt to access JSON non-string as string");
});

test('element count must match the shape, nested and flat; element types are checked', async () => {
  const shape = "Unable to parse 'data': Shape does not match true shape of 'data' field";
  expectError(await inferJson(h.port, 'simple', { inputs: [in0({ data: range(15) }), in1] }), 500, shape);
  expectError(await inferJson(h.port, 'simple', { inputs: [in0({ data: [range(8), range(9)] }), in1] }), 500, shape);
  expectError(await inferJson(h.port, 'simple', { inputs: [in0({ data: range(16).map(String) }), in1] }), 500,
    "Unable to parse 'data': attempt to access JSON non-signed-integer as signed-integer");
  expectError(await inferJson(h.port, 'nobatch', { inputs: [{ name: 'IN', shape: [2, 3], datatype: 'FP32', data: [1, 2, 3, 4, 5, 'x'] }] }), 500,
    "Unable to parse 'data': attempt to access JSON non-number as double");
  let deep: unknown = range(16);
  for (let i = 0; i < 100; i++) deep = [deep];
  expectError(await inferJson(h.port, 'simple', { inputs: [in0({ data: deep }), in1] }), 400,
    "Unable to parse 'data': JSON nesting depth exceeds maximum allowed limit (100)");
});

test('FP16 in JSON is refused for inputs and outputs', async () => {
  expectError(await inferJson(h.port, 'identity_fp16', { inputs: [{ name: 'INPUT0', shape: [1], datatype: 'FP16', data: [1] }] }), 400,
    'receiving FP16 data via JSON is not supported. Please use the binary data format for input INPUT0');
  expectError(await inferBinary(h.port, 'identity_fp16', {
    inputs: [{ name: 'INPUT0', shape: [1], datatype: 'FP16', parameters: { binary_data_size: 2 } }],
  }, [encodeFp16([1])]), 400, 'sending FP16 data via JSON is not supported. Please use the binary data format for output');
});

test('core validation: missing, extra and mistyped inputs, unknown outputs, batch size', async () => {
  expectError(await inferJson(h.port, 'simple', { inputs: [in0({ data: range(16) })] }), 400,
    "expected 2 inputs but got 1 inputs for model 'simple'. Got input(s) ['INPUT0'], but missing required input(s) ['INPUT1']. Please provide all required input(s).");
  expectError(await inferJson(h.port, 'simple', { inputs: [in0({ data: range(16) }), in1, { ...in1, name: 'EXTRA' }] }), 400,
    "unexpected inference input 'EXTRA' for model 'simple'");
  expectError(await inferJson(h.port, 'simple', { inputs: [in0({ datatype: 'FP32', data: range(16) }), in1] }), 400,
    "inference input 'INPUT0' data-type is 'FP32', but model 'simple' expects 'INT32'");
  expectError(await inferJson(h.port, 'simple', { id: 'r9', inputs: [in0({ data: range(16) }), in1], outputs: [{ name: 'NOPE' }] }), 400,
    "[request id: r9] unexpected inference output 'NOPE' for model 'simple'");
});

test('binary header length lies and blob size mismatches', async () => {
  const header = JSON.stringify({ inputs: [in0({ parameters: { binary_data_size: 64 } }), in1] });
  const hl = Buffer.byteLength(header);
  const body = Buffer.concat([Buffer.from(header), int32Bytes(range(16))]);
  const total = body.byteLength;
  expectError(await post('simple', body, { 'Inference-Header-Content-Length': '-4' }), 400,
    `inference header size should be in range (0, ${total}), got: -4`);
  expectError(await post('simple', body, { 'Inference-Header-Content-Length': String(total + 1) }), 400,
    `inference header size should be in range (0, ${total}), got: ${total + 1}`);
  // Not a number: read as 0 like C atoi, i.e. a raw request, which this two-input model cannot take.
  expectError(await post('simple', body, { 'Inference-Header-Content-Length': 'abc' }), 400,
    "Raw request must only have 1 input (found 1) to be deduced but got 2 inputs in 'simple' model configuration");
  expectError(await post('simple', Buffer.concat([body, Buffer.from([1, 2, 3])]), { 'Inference-Header-Content-Length': String(hl) }), 400,
    "unexpected additional input data for model 'simple'");
  expectError(await post('simple', body.subarray(0, total - 10), { 'Inference-Header-Content-Length': String(hl) }), 400,
    "unexpected size for input 'INPUT0', expecting 10 additional bytes for model 'simple'");
  expectError(await inferBinary(h.port, 'simple', { inputs: [in0({ parameters: { binary_data_size: -1 } }), in1] }, []), 500,
    "Unable to parse 'binary_data_size': attempt to access JSON non-unsigned-integer as unsigned-integer");
});

test('unknown model and version; bad version string; the model is checked before the body', async () => {
  expectError(await post('nope', '{not json'), 404, "Request for unknown model: 'nope' is not found");
  expectError(await post('nope', '{}', { 'Content-Encoding': 'br' }), 404, "Request for unknown model: 'nope' is not found");
  expectError(await request(h.port, 'POST', '/v2/models/simple/versions/7/infer', { body: '{}' }), 404,
    "Request for unknown model: 'simple' version 7 is not found");
  const huge = '99999999999999999999';
  expectError(await request(h.port, 'POST', `/v2/models/simple/versions/${huge}/infer`, { body: '{}' }), 400,
    `invalid model version specified '${huge}' , version should be an integral value > 0`);
  assert.equal((await request(h.port, 'GET', '/v2/models/simple/infer')).status, 405);
});

test('parameters: triton_ keys, objects and arrays, reserved key types', async () => {
  const base = { inputs: [in0({ data: range(16) }), in1] };
  expectError(await inferJson(h.port, 'simple', { ...base, parameters: { triton_x: 1 } }), 400,
    "parameter keys starting with 'triton_' are reserved for Triton usage and should not be specified.");
  expectError(await inferJson(h.port, 'simple', { ...base, parameters: { p: { a: 1 } } }), 400,
    "parameter 'p' has invalid type. It should be either 'int', 'bool', or 'string'.");
  expectError(await inferJson(h.port, 'simple', { ...base, parameters: { p: [1] } }), 400,
    "parameter 'p' has invalid type. It should be either 'int', 'bool', or 'string'.");
  expectError(await inferJson(h.port, 'simple', { ...base, parameters: { priority: -1 } }), 500,
    "Unable to parse 'priority': attempt to access JSON non-unsigned-integer as unsigned-integer");
  expectError(await inferJson(h.port, 'simple', { ...base, parameters: { sequence_start: 1 } }), 500,
    "Unable to parse 'sequence_start': attempt to access JSON non-boolean as boolean");
  expectError(await inferJson(h.port, 'simple', { ...base, parameters: { sequence_id: true } }), 500,
    "Unable to parse 'sequence_id': attempt to access JSON non-string as string");
  expectError(await inferJson(h.port, 'simple', { ...base, parameters: [] }), 500,
    'failed to get request params.: attempt to get members for non-object');
});

test('shared-memory tensors (client shm disabled) and output parameter conflicts', async () => {
  expectError(await inferJson(h.port, 'simple', { inputs: [in0({ parameters: { shared_memory_region: 'r0', shared_memory_byte_size: 64 } }), in1] }), 404,
    "Unable to find shared memory region: 'r0'");
  const base = { inputs: [in0({ data: range(16) }), in1] };
  expectError(await inferJson(h.port, 'simple', { ...base, outputs: [{ name: 'OUTPUT0', parameters: { shared_memory_region: 'o', classification: 1 } }] }), 400,
    "Output can't set both 'shared_memory_region' and 'classification'");
  expectError(await inferJson(h.port, 'simple', { ...base, outputs: [{ name: 'OUTPUT0', parameters: { shared_memory_region: 'o', binary_data: true } }] }), 400,
    "Output can't set both 'shared_memory_region' and 'binary_data'");
  expectError(await inferJson(h.port, 'simple', { ...base, outputs: [{ name: 'OUTPUT0', parameters: { shared_memory_region: 'o' } }] }), 404,
    "Unable to find shared memory region: 'o'");
  expectError(await inferJson(h.port, 'simple', { ...base, outputs: [{ name: 'OUTPUT0', parameters: { classification: 'x' } }] }), 500,
    "Unable to set 'classification': attempt to access JSON non-unsigned-integer as unsigned-integer");
  expectError(await inferJson(h.port, 'nobatch', {
    inputs: [{ name: 'IN', shape: [2, 3], datatype: 'FP32', data: range(6) }],
    outputs: [{ name: 'OUT', parameters: { binary_data: 'yes' } }],
  }), 500, "Unable to parse 'binary_data': attempt to access JSON non-boolean as boolean");
});

test('decoupled models are refused over HTTP', async () => {
  expectError(await inferJson(h.port, 'decoupled', { inputs: [{ name: 'IN', shape: [1], datatype: 'INT32', data: [1] }] }), 501,
    "HTTP end point doesn't support models with decoupled transaction policy");
});

test('body limits: declared, chunked and decompressed sizes; unsupported encodings', async () => {
  const limit = 1 << 20;
  const big = Buffer.alloc(limit + 10, 0x20);
  expectError(await post('simple', big), 400,
    `Request JSON size of ${limit + 10} bytes exceeds the maximum allowed value of ${limit} bytes. Use --http-max-input-size to increase the limit.`);
  const chunked = await request(h.port, 'POST', '/v2/models/simple/infer', { body: big, chunked: true, headers: { 'Inference-Header-Content-Length': '2' } });
  assert.equal(chunked.status, 400);
  assert.match(JSON.parse(chunked.text).error, /^Request size of \d+ bytes exceeds the maximum allowed value of 1048576 bytes\./);
  // A gzip bomb: 64 MiB of zeros in ~64 KiB.
  const bomb = zlib.gzipSync(Buffer.alloc(64 << 20));
  assert.ok(bomb.byteLength < limit);
  expectError(await post('simple', bomb, { 'Content-Encoding': 'gzip' }), 400,
    `Decompressed request size exceeds the maximum allowed value of ${limit} bytes. Use --http-max-input-size to increase the limit.`);
  const br = await post('simple', '{}', { 'Content-Encoding': 'br' });
  expectError(br, 501, 'Unsupported compression type');
  assert.equal(br.headers['accept-encoding'], 'gzip, deflate');
  expectError(await post('simple', Buffer.from('not gzip'), { 'Content-Encoding': 'gzip' }), 400,
    'failed to decompress the request body (gzip): incorrect header check');
  // Still serving.
  assert.equal((await inferJson(h.port, 'simple', { inputs: [in0({ data: range(16) }), in1] })).status, 200);
});

test('a malformed request does not disturb a concurrent good one', async () => {
  const good = range(20).map((k) => inferJson(h.port, 'simple', { id: `g${k}`, inputs: [in0({ data: range(16, () => k) }), in1] }));
  const bad = range(20).map((k) => post('simple', k % 2 ? '{"inputs":[{' : zlib.gzipSync(Buffer.alloc(8 << 20)), k % 2 ? {} : { 'Content-Encoding': 'gzip' }));
  const [goods, bads] = await Promise.all([Promise.all(good), Promise.all(bad)]);
  goods.forEach((r, k) => {
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.text).outputs[0].data, range(16, () => k));
  });
  for (const r of bads) assert.ok(r.status === 400 || r.status === 500, r.text);
  assert.equal(h.resolver.leases, 0);
});
