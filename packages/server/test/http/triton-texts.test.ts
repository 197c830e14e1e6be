/**
 * Triton's error texts over real HTTP (clients and Triton's qa tests compare them): BYTES element counts
 * of a binary input, duplicate input and output names, the input count range of a model with optional
 * inputs, the classification size limit, the raw-request BYTE text, and JSON `data` whose shape claims
 * more than 2^32 elements (a shape mismatch, not an allocation failure).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeBytesElements } from '@inferd/protocol';
import { FIXTURE_MODELS, type FixtureModelDef } from '../support/fixture-resolver.js';
import {
  inferBinary, inferJson, range, request, startHarness, type Harness, type HttpResult,
} from '../support/http-harness.js';

const fp32x1 = (name: string, optional = false) => ({ name, datatype: 'FP32' as const, dims: [1], optional });

/** Triton's qa model `input_optional`: INPUT0..INPUT2 required, INPUT3 optional. */
const INPUT_OPTIONAL: FixtureModelDef = {
  name: 'input_optional', maxBatchSize: 0,
  inputs: [fp32x1('INPUT0'), fp32x1('INPUT1'), fp32x1('INPUT2'), fp32x1('INPUT3', true)],
  outputs: [fp32x1('OUTPUT0'), fp32x1('OUTPUT1'), fp32x1('OUTPUT2'), fp32x1('OUTPUT3')],
};

let h: Harness;
before(async () => {
  h = await startHarness({}, [...FIXTURE_MODELS, INPUT_OPTIONAL]);
});
after(async () => h.close());

function expectError(r: HttpResult, status: number, message: string): void {
  assert.equal(r.text, JSON.stringify({ error: message }), `status ${r.status}`);
  assert.equal(r.status, status);
}

/** A binary BYTES input of `identity_bytes` declaring `shape` with the given elements. */
function bytesInput(shape: number[], elements: Uint8Array | string[]): Promise<HttpResult> {
  const blob = elements instanceof Uint8Array ? elements : encodeBytesElements(elements);
  return inferBinary(h.port, 'identity_bytes', {
    inputs: [{ name: 'INPUT0', shape, datatype: 'BYTES', parameters: { binary_data_size: blob.byteLength } }],
  }, [blob]);
}

test('BYTES element count of a binary input: too many and too few, worded as Triton', async () => {
  expectError(await bytesInput([2], ['a', 'b', 'c']), 400,
    "unexpected number of string elements 3 for inference input 'INPUT0' for model 'identity_bytes', expecting 2");
  expectError(await bytesInput([3], ['a', 'b']), 400,
    "expected 3 string elements for inference input 'INPUT0' for model 'identity_bytes', got 2");
  // A truncated element is still a byte-size mismatch.
  const truncated = encodeBytesElements(['abcd']).subarray(0, 6);
  expectError(await bytesInput([1], truncated), 400,
    "input byte size mismatch for input 'INPUT0' for model 'identity_bytes'. BYTES element 0 declares 4 bytes but only 2 remain");
  // The right count passes and comes back unchanged.
  const ok = await bytesInput([2], ['a', 'bc']);
  assert.equal(ok.status, 200, ok.text);
  assert.deepEqual(JSON.parse(ok.text).outputs[0].data, ['a', 'bc']);
});

test('an input or output named twice: "already exists in request" (no request-id prefix)', async () => {
  const in0 = { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: range(16) };
  const in1 = { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: range(16) };
  expectError(await inferJson(h.port, 'simple', { id: 'r1', inputs: [in0, in1, in0] }), 400, "input 'INPUT0' already exists in request");
  expectError(await inferJson(h.port, 'simple', { id: 'r2', inputs: [in0, in1], outputs: [{ name: 'OUTPUT1' }, { name: 'OUTPUT1' }] }), 400,
    "output 'OUTPUT1' already exists in request");
});

test('a model with optional inputs words the expected count as a range', async () => {
  const x = (name: string) => ({ name, shape: [1], datatype: 'FP32', data: [1] });
  expectError(await inferJson(h.port, 'input_optional', { inputs: [] }), 400,
    "expected number of inputs between 3 and 4 but got 0 inputs for model 'input_optional'. Got input(s) [], " +
      "but missing required input(s) ['INPUT0','INPUT1','INPUT2']. Please provide all required input(s).");
  expectError(await inferJson(h.port, 'input_optional', { inputs: [x('INPUT0'), x('INPUT3')] }), 400,
    "expected number of inputs between 3 and 4 but got 2 inputs for model 'input_optional'. Got input(s) ['INPUT0','INPUT3'], " +
      "but missing required input(s) ['INPUT1','INPUT2']. Please provide all required input(s).");
  // Every required input, without the optional one, is a complete request.
  const ok = await inferJson(h.port, 'input_optional', { inputs: [x('INPUT0'), x('INPUT1'), x('INPUT2')] });
  assert.equal(ok.status, 200, ok.text);
  // The optional input left out is answered as zeros (the identity backend's rule, as Triton's).
  assert.deepEqual(JSON.parse(ok.text).outputs.map((o: { name: string }) => o.name), ['OUTPUT0', 'OUTPUT1', 'OUTPUT2', 'OUTPUT3']);
});

test('classification of an output over a million elements: Triton\'s "tensor too large"', async () => {
  const n = 1_000_001;
  const payload = (count: number) => ({
    inputs: [{ name: 'INPUT0', shape: [1, count], datatype: 'FP32', parameters: { binary_data_size: count * 4 } }],
    outputs: [{ name: 'OUTPUT0', parameters: { classification: 1 } }],
  });
  const scores = new Float32Array(n);
  scores[7] = 2;
  expectError(await inferBinary(h.port, 'raw_fp32', payload(n), [new Uint8Array(scores.buffer)]), 400,
    'classification output tensor too large');
  // At the limit it still classifies.
  const ok = await inferBinary(h.port, 'raw_fp32', payload(n - 1), [new Uint8Array(scores.buffer, 0, (n - 1) * 4)]);
  assert.equal(ok.status, 200, ok.text);
  assert.deepEqual(JSON.parse(ok.text).outputs[0].data, ['2.000000:7']);
});

test("a raw request to a BYTES input that is not [1] names the 'BYTE' datatype, as Triton", async () => {
  const r = await request(h.port, 'POST', '/v2/models/identity_bytes/infer', {
    body: 'hello', headers: { 'Inference-Header-Content-Length': '0' },
  });
  expectError(r, 400, "For BYTE datatype raw input 'INPUT0', the model must have input shape [1]");
});

test('JSON data whose shape claims more than 2^32 elements is a shape mismatch (500), and the server keeps serving', async () => {
  const mismatch = "Unable to parse 'data': Shape does not match true shape of 'data' field";
  expectError(await inferJson(h.port, 'raw_fp32', { inputs: [{ name: 'INPUT0', shape: [1, 2 ** 32 + 1], datatype: 'FP32', data: [1] }] }),
    500, mismatch);
  expectError(await inferJson(h.port, 'all_types', { inputs: [{ name: 'I64', shape: [2 ** 32, 2], datatype: 'INT64', data: [1, 2] }] }),
    500, mismatch);
  // (BYTES data is not sized by the shape: its element count is the validator's, as in Triton.)
  expectError(await inferJson(h.port, 'identity_bytes', { inputs: [{ name: 'INPUT0', shape: [2 ** 32 + 1], datatype: 'BYTES', data: ['x'] }] }),
    400, "expected 4294967297 string elements for inference input 'INPUT0' for model 'identity_bytes', got 1");
  const ok = await inferJson(h.port, 'raw_fp32', { inputs: [{ name: 'INPUT0', shape: [1, 2], datatype: 'FP32', data: [1, 2] }] });
  assert.equal(ok.status, 200, ok.text);
});
