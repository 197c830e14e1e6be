/**
 * Triton's error texts over a real gRPC connection (INVALID_ARGUMENT): BYTES element counts of a raw
 * input (Triton's qa test_wrong_input_shape_tensor_size wording), inputs and outputs named twice, the
 * input count range of a model with optional inputs, and shapes whose element count or byte size
 * passes int64 (the int64 dims as sent, never rounded through a double).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { status, type ServiceError } from '@grpc/grpc-js';
import { encodeBytesElements } from '@inferd/protocol';
import { startGrpc, type GrpcHarness } from '../support/grpc-repo.js';
import { makeRepo } from '../support/temp-repo.js';

const fp32 = (name: string, optional = false) => `{ name: "${name}" data_type: TYPE_FP32 dims: [ 1 ]${optional ? ' optional: true' : ''} }`;

let h: GrpcHarness;
let repo: ReturnType<typeof makeRepo>;
before(async () => {
  // Triton's qa model: INPUT0..INPUT2 required, INPUT3 optional (identity).
  repo = makeRepo({
    'input_optional/config.pbtxt': [
      'backend: "identity"', 'max_batch_size: 0',
      `input [ ${fp32('INPUT0')}, ${fp32('INPUT1')}, ${fp32('INPUT2')}, ${fp32('INPUT3', true)} ]`,
      `output [ ${fp32('OUTPUT0')}, ${fp32('OUTPUT1')}, ${fp32('OUTPUT2')}, ${fp32('OUTPUT3')} ]`,
    ].join('\n'),
    'input_optional/1/': null,
  });
  h = await startGrpc([repo.dir]);
});
after(async () => {
  await h.close();
  repo.cleanup();
});

function invalid(promise: Promise<unknown>, details: string): Promise<void> {
  return assert.rejects(promise, (err: ServiceError) => {
    assert.equal(err.details, details);
    assert.equal(err.code, status.INVALID_ARGUMENT);
    return true;
  });
}

const f32 = (values: number[]) => Buffer.from(new Float32Array(values).buffer);

test('BYTES raw input with more or fewer elements than its shape', async () => {
  const bytes = (shape: string[], elements: string[]) => h.client.call('ModelInfer', {
    model_name: 'types', inputs: [{ name: 'I_BYTES', datatype: 'BYTES', shape }],
    raw_input_contents: [Buffer.from(encodeBytesElements(elements))], outputs: [{ name: 'O_BYTES' }],
  });
  await invalid(bytes(['2'], ['a', 'b', 'c']),
    "unexpected number of string elements 3 for inference input 'I_BYTES' for model 'types', expecting 2");
  await invalid(bytes(['3'], ['a', 'b']), "expected 3 string elements for inference input 'I_BYTES' for model 'types', got 2");
  const ok = await bytes(['2'], ['a', 'bc']);
  assert.deepEqual(Buffer.from(ok.raw_output_contents[0]), Buffer.from(encodeBytesElements(['a', 'bc'])));
});

test('an input or output named twice', async () => {
  const input = { name: 'I_FP32', datatype: 'FP32', shape: ['1'] };
  await invalid(h.client.call('ModelInfer', {
    model_name: 'types', id: 'g1', inputs: [input, input], raw_input_contents: [f32([1]), f32([2])],
  }), "input 'I_FP32' already exists in request");
  await invalid(h.client.call('ModelInfer', {
    model_name: 'types', id: 'g2', inputs: [input], raw_input_contents: [f32([1])], outputs: [{ name: 'O_FP32' }, { name: 'O_FP32' }],
  }), "output 'O_FP32' already exists in request");
});

test('a model with optional inputs words the expected count as a range', async () => {
  const x = (name: string) => ({ name, datatype: 'FP32', shape: ['1'], contents: { fp32_contents: [1] } });
  await invalid(h.client.call('ModelInfer', { model_name: 'input_optional', inputs: [] }),
    "expected number of inputs between 3 and 4 but got 0 inputs for model 'input_optional'. Got input(s) [], " +
      "but missing required input(s) ['INPUT0','INPUT1','INPUT2']. Please provide all required input(s).");
  await invalid(h.client.call('ModelInfer', { model_name: 'input_optional', inputs: [x('INPUT0'), x('INPUT3')] }),
    "expected number of inputs between 3 and 4 but got 2 inputs for model 'input_optional'. Got input(s) ['INPUT0','INPUT3'], " +
      "but missing required input(s) ['INPUT1','INPUT2']. Please provide all required input(s).");
  const ok = await h.client.call('ModelInfer', { model_name: 'input_optional', inputs: [x('INPUT0'), x('INPUT1'), x('INPUT2')] });
  // The optional input left out is answered as zeros (the identity backend's rule, as Triton's).
  assert.deepEqual(ok.outputs.map((o: { name: string }) => o.name), ['OUTPUT0', 'OUTPUT1', 'OUTPUT2', 'OUTPUT3']);
});

test('shapes past int64: element count and byte size overflow, with the dims as sent', async () => {
  const big = '1152921504606846978'; // 2^60 + 2
  const infer = (shape: string[], datatype = 'FP32', name = 'I_FP32') => h.client.call('ModelInfer', {
    model_name: 'types', id: 'ov', inputs: [{ name, datatype, shape }], raw_input_contents: [f32([1])],
    outputs: [{ name: name.replace('I_', 'O_') }],
  });
  await invalid(infer(['16', big]),
    `[request id: ov] input 'I_FP32' for model 'types' with shape [16,${big}] causes total element count to exceed maximum size of 9223372036854775807`);
  await invalid(infer(['4', big]), "[request id: ov] byte size overflow for input 'I_FP32' for model 'types'");
  // BYTES has no fixed element size: only the element count can overflow.
  await invalid(infer(['8', big], 'BYTES', 'I_BYTES'),
    `[request id: ov] input 'I_BYTES' for model 'types' with shape [8,${big}] causes total element count to exceed maximum size of 9223372036854775807`);
  // A shape that fits int64 is still checked against the data (and the server keeps serving).
  const ok = await infer(['1']);
  assert.deepEqual(Buffer.from(ok.raw_output_contents[0]), f32([1]));
});
