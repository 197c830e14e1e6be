/**
 * ModelInfer over a real gRPC connection: raw and typed inputs of every datatype, BYTES, FP16/BF16
 * raw, classification, request parameters, Triton's error statuses and texts, large messages,
 * cancellation. Identity and plug-in models on a temp repository, real ONNX models from examples/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';
import { decodeBf16, decodeBytesElements, decodeFp16, encodeBf16, encodeBytesElements, encodeFp16 } from '@inferd/protocol';
import { hangLog, startGrpc, type GrpcHarness } from '../support/grpc-repo.js';

const examples = fileURLToPath(new URL('../../../../examples/models', import.meta.url));
let h: GrpcHarness;

before(async () => {
  h = await startGrpc([examples]);
});
after(async () => {
  await h.close();
});

const i32 = (values: number[]) => Buffer.from(new Int32Array(values).buffer);
const readI32 = (b: Buffer) => [...new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))];
const readF32 = (b: Buffer) => [...new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))];

function rejectsWith(promise: Promise<unknown>, code: number, details: string) {
  return assert.rejects(promise, (err: { code: number; details: string }) => {
    assert.equal(err.details, details);
    assert.equal(err.code, code);
    return true;
  });
}

test('raw FP32 input: id echoed, version reported, one raw_output_contents entry per output', async () => {
  const res = await h.client.call('ModelInfer', {
    model_name: 'echo_fp32', id: 'req-1', inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [2, 3] }],
    raw_input_contents: [Buffer.from(new Float32Array([1, 2, 3, 4, 5, 6.5]).buffer)],
  });
  assert.equal(res.model_name, 'echo_fp32');
  assert.equal(res.model_version, '1');
  assert.equal(res.id, 'req-1');
  assert.deepEqual(res.outputs, [{ name: 'OUTPUT0', datatype: 'FP32', shape: ['2', '3'], parameters: {}, contents: null }]);
  assert.equal(res.raw_output_contents.length, 1);
  assert.deepEqual(readF32(res.raw_output_contents[0]), [1, 2, 3, 4, 5, 6.5]);
});

test('simple (ONNX): raw and typed INT32 inputs give the same sum/difference; outputs follow the requested order', async () => {
  const a = Array.from({ length: 16 }, (_, i) => i);
  const b = Array.from({ length: 16 }, () => 1);
  const inputs = [{ name: 'INPUT0', datatype: 'INT32', shape: [1, 16] }, { name: 'INPUT1', datatype: 'INT32', shape: [1, 16] }];
  const outputs = [{ name: 'OUTPUT1' }, { name: 'OUTPUT0' }];
  const raw = await h.client.call('ModelInfer', { model_name: 'simple', inputs, outputs, raw_input_contents: [i32(a), i32(b)] });
  const typed = await h.client.call('ModelInfer', {
    model_name: 'simple', outputs,
    inputs: [{ ...inputs[0], contents: { int_contents: a } }, { ...inputs[1], contents: { int_contents: b } }],
  });
  for (const res of [raw, typed]) {
    assert.deepEqual(res.outputs.map((o: { name: string }) => o.name), ['OUTPUT1', 'OUTPUT0']);
    assert.equal(res.raw_output_contents.length, 2);
    assert.deepEqual(readI32(res.raw_output_contents[0]), a.map((x) => x - 1));
    assert.deepEqual(readI32(res.raw_output_contents[1]), a.map((x) => x + 1));
    assert.deepEqual(res.outputs[0].shape, ['1', '16']);
  }
});

test('typed contents for every datatype that has a field', async () => {
  const cases: [string, Record<string, unknown>, Buffer][] = [
    ['BOOL', { bool_contents: [true, false, true] }, Buffer.from([1, 0, 1])],
    ['INT8', { int_contents: [-1, 127] }, Buffer.from(new Int8Array([-1, 127]).buffer)],
    ['INT16', { int_contents: [-2, 300] }, Buffer.from(new Int16Array([-2, 300]).buffer)],
    ['INT32', { int_contents: [-3, 70000] }, Buffer.from(new Int32Array([-3, 70000]).buffer)],
    ['INT64', { int64_contents: ['-9007199254740993', '5'] }, Buffer.from(new BigInt64Array([-9007199254740993n, 5n]).buffer)],
    ['UINT8', { uint_contents: [255, 1] }, Buffer.from([255, 1])],
    ['UINT16', { uint_contents: [65535, 2] }, Buffer.from(new Uint16Array([65535, 2]).buffer)],
    ['UINT32', { uint_contents: [4294967295] }, Buffer.from(new Uint32Array([4294967295]).buffer)],
    ['UINT64', { uint64_contents: ['18446744073709551615'] }, Buffer.from(new BigUint64Array([18446744073709551615n]).buffer)],
    ['FP32', { fp32_contents: [0.5, -2] }, Buffer.from(new Float32Array([0.5, -2]).buffer)],
    ['FP64', { fp64_contents: [0.1, 1e300] }, Buffer.from(new Float64Array([0.1, 1e300]).buffer)],
    ['BYTES', { bytes_contents: [Buffer.from('hé'), Buffer.from([0, 1, 2]), Buffer.alloc(0)] }, Buffer.from(encodeBytesElements(['hé', new Uint8Array([0, 1, 2]), '']))],
  ];
  for (const [t, contents, expected] of cases) {
    const count = expected.byteLength === 0 ? 0 : (Object.values(contents)[0] as unknown[]).length;
    const res = await h.client.call('ModelInfer', {
      model_name: 'types', inputs: [{ name: `I_${t}`, datatype: t, shape: [count], contents }], outputs: [{ name: `O_${t}` }],
    });
    assert.deepEqual(res.outputs.map((o: { name: string; datatype: string; shape: string[] }) => [o.name, o.datatype, o.shape]), [[`O_${t}`, t, [String(count)]]], t);
    assert.deepEqual(res.raw_output_contents[0], expected, t);
  }
});

test('FP16 and BF16 travel raw; typed data for them is refused', async () => {
  const fp16 = Buffer.from(encodeFp16([1.5, -0.25, 65504]));
  const bf16 = Buffer.from(encodeBf16([1.5, -3, 256]));
  const res = await h.client.call('ModelInfer', {
    model_name: 'types',
    inputs: [{ name: 'I_FP16', datatype: 'FP16', shape: [3] }, { name: 'I_BF16', datatype: 'BF16', shape: [3] }],
    outputs: [{ name: 'O_BF16' }, { name: 'O_FP16' }],
    raw_input_contents: [fp16, bf16],
  });
  assert.deepEqual(res.outputs.map((o: { name: string; datatype: string }) => [o.name, o.datatype]), [['O_BF16', 'BF16'], ['O_FP16', 'FP16']]);
  assert.deepEqual([...decodeBf16(res.raw_output_contents[0])], [1.5, -3, 256]);
  assert.deepEqual([...decodeFp16(res.raw_output_contents[1])], [1.5, -0.25, 65504]);
  await rejectsWith(h.client.call('ModelInfer', {
    model_name: 'types', inputs: [{ name: 'I_FP16', datatype: 'FP16', shape: [1], contents: { fp32_contents: [1] } }],
  }), status.INVALID_ARGUMENT, "unexpected explicit tensor data for input tensor 'I_FP16' for model 'types' of type 'FP32', expected datatype 'FP16'");
});

test('BYTES: raw length-prefixed and typed, through the ONNX strings model', async () => {
  const words = ['hello', 'wörld', ''];
  const raw = await h.client.call('ModelInfer', {
    model_name: 'strings', inputs: [{ name: 'INPUT0', datatype: 'BYTES', shape: [1, 3] }],
    raw_input_contents: [Buffer.from(encodeBytesElements(words))],
  });
  const typed = await h.client.call('ModelInfer', {
    model_name: 'strings', inputs: [{ name: 'INPUT0', datatype: 'BYTES', shape: [1, 3], contents: { bytes_contents: words.map((w) => Buffer.from(w)) } }],
  });
  for (const res of [raw, typed]) {
    assert.equal(res.outputs[0].datatype, 'BYTES');
    assert.deepEqual(res.outputs[0].shape, ['1', '3']);
    assert.deepEqual(decodeBytesElements(res.raw_output_contents[0]).map((e) => Buffer.from(e).toString()), words);
  }
});

test('classification via int64_param: BYTES "value:index:label" in raw_output_contents (ONNX classifier)', async () => {
  const res = await h.client.call('ModelInfer', {
    model_name: 'classifier', inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [1, 2, 3, 4] } }],
    outputs: [{ name: 'OUTPUT0', parameters: { classification: { int64_param: 2 } } }],
  });
  assert.deepEqual(res.outputs.map((o: { name: string; datatype: string; shape: string[] }) => [o.name, o.datatype, o.shape]), [['OUTPUT0', 'BYTES', ['1', '2']]]);
  assert.deepEqual(decodeBytesElements(res.raw_output_contents[0]).map((e) => Buffer.from(e).toString()), ['0.643914:3:fish', '0.236883:2:bird']);
  await rejectsWith(h.client.call('ModelInfer', {
    model_name: 'classifier', inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [1, 2, 3, 4] } }],
    outputs: [{ name: 'OUTPUT0', parameters: { classification: { int64_param: -1 } } }],
  }), status.INVALID_ARGUMENT, "invalid value for 'classification' parameter, expected >= 0");
});

test('input data errors: contents with raw, two typed fields, wrong field, missing data', async () => {
  const x = { name: 'INPUT0', datatype: 'FP32', shape: [1, 1] };
  await rejectsWith(h.client.call('ModelInfer', {
    model_name: 'echo_fp32', inputs: [{ ...x, contents: { fp32_contents: [1] } }], raw_input_contents: [Buffer.alloc(4)],
  }), status.INVALID_ARGUMENT, "contents field must not be specified when using raw_input_contents for 'INPUT0' for model 'echo_fp32'");
  await rejectsWith(h.client.call('ModelInfer', {
    model_name: 'types', inputs: [{ name: 'I_INT32', datatype: 'INT32', shape: [1], contents: { int_contents: [1], fp32_contents: [1] } }],
  }), status.INVALID_ARGUMENT, "unexpected explicit tensor data for input tensor 'I_INT32' for model 'types', binary data was already supplied.");
  await rejectsWith(h.client.call('ModelInfer', {
    model_name: 'types', inputs: [{ name: 'I_INT8', datatype: 'INT8', shape: [1], contents: { int64_contents: [1] } }],
  }), status.INVALID_ARGUMENT, "unexpected explicit tensor data for input tensor 'I_INT8' for model 'types' of type 'INT64', expected datatype 'INT8'");
  await rejectsWith(h.client.call('ModelInfer', { model_name: 'echo_fp32', inputs: [x] }),
    status.INVALID_ARGUMENT, "unable to find data for input tensor 'INPUT0' for model 'echo_fp32' in request.");
  await rejectsWith(h.client.call('ModelInfer', {
    model_name: 'echo_fp32', inputs: [{ ...x, parameters: { shared_memory_region: { string_param: 'r0' } } }],
  }), status.NOT_FOUND, "Unable to find shared memory region: 'r0'");
});

test('model and validation errors: unknown model first, shape, batch size, decoupled refused', async () => {
  await rejectsWith(h.client.call('ModelInfer', { model_name: 'nope', inputs: [{ name: 'X', datatype: 'FP32', shape: [1] }] }),
    status.NOT_FOUND, "Request for unknown model: 'nope' is not found");
  await rejectsWith(h.client.call('ModelInfer', {
    model_name: 'nobatch', id: 'q', inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [3, 2], contents: { fp32_contents: [1, 2, 3, 4, 5, 6] } }],
  }), status.INVALID_ARGUMENT, "[request id: q] unexpected shape for input 'INPUT0' for model 'nobatch'. Expected [2,3], got [3,2].");
  await rejectsWith(h.client.call('ModelInfer', {
    model_name: 'echo_fp32', inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [9, 1] }], raw_input_contents: [Buffer.alloc(36)],
  }), status.INVALID_ARGUMENT, "inference request batch-size must be <= 8 for 'echo_fp32'");
  await rejectsWith(h.client.call('ModelInfer', {
    model_name: 'repeat', inputs: [{ name: 'IN', datatype: 'INT32', shape: [1] }], raw_input_contents: [i32([1])],
  }), status.UNIMPLEMENTED, "ModelInfer RPC doesn't support models with decoupled transaction policy");
});

test('request parameters: reserved keys typed per Triton, triton_* refused, custom values reach the model', async () => {
  const base = { model_name: 'echo_fp32', inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 1] }], raw_input_contents: [Buffer.alloc(4)] };
  const cases: [Record<string, unknown>, string][] = [
    [{ triton_foo: { bool_param: true } }, "parameter keys starting with 'triton_' are reserved for Triton usage. Only the following keys starting with 'triton_' are allowed: triton_enable_empty_final_response"],
    [{ sequence_id: { bool_param: true } }, "invalid value type for 'sequence_id' parameter, expected int64_param or string_param."],
    [{ sequence_start: { int64_param: 1 } }, "invalid value type for 'sequence_start' parameter, expected bool_param."],
    [{ priority: { int64_param: -1 } }, "invalid value for 'priority', expected value >= 0."],
    [{ priority: { string_param: '1' } }, "invalid value type for 'priority' parameter, expected int64_param or uint64_param."],
    [{ timeout: { bool_param: true } }, "invalid value type for 'timeout' parameter, expected int64_param."],
    [{ custom: { uint64_param: 1 } }, "invalid value type for 'custom' parameter, expected int64_param, bool_param, or string_param."],
    [{ triton_enable_empty_final_response: { int64_param: 1 } }, "invalid value type for 'triton_enable_empty_final_response' parameter, expected bool_param."],
  ];
  for (const [parameters, details] of cases) {
    await rejectsWith(h.client.call('ModelInfer', { ...base, parameters }), status.INVALID_ARGUMENT, details);
  }
  const ok = await h.client.call('ModelInfer', {
    ...base, parameters: {
      priority: { uint64_param: 1 }, timeout: { int64_param: 1000 }, custom: { double_param: 0.5 }, s: { string_param: 'x' },
      triton_enable_empty_final_response: { bool_param: true },
    },
  });
  assert.equal(ok.raw_output_contents.length, 1);
});

test('messages above 4 MB both ways (unlimited sizes)', async () => {
  const n = 2 * 1024 * 1024 + 3;
  const values = new Float32Array(n).map((_, i) => i);
  const res = await h.client.call('ModelInfer', {
    model_name: 'echo_fp32', inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, n] }], raw_input_contents: [Buffer.from(values.buffer)],
  });
  assert.equal(res.raw_output_contents[0].byteLength, n * 4);
  assert.ok(Buffer.from(values.buffer).equals(res.raw_output_contents[0]));
});

test('cancelling the call aborts the queued request (AbortSignal reaches the backend)', async () => {
  const call = h.client.start('ModelInfer', {
    model_name: 'hang', id: 'cancel-me', inputs: [{ name: 'IN', datatype: 'INT32', shape: [1] }], raw_input_contents: [i32([1])],
  });
  const rejected = assert.rejects(call.promise, { code: status.CANCELLED });
  for (let i = 0; i < 100 && !hangLog().some((e) => e.id === 'cancel-me'); i++) await sleep(10);
  assert.deepEqual(hangLog().find((e) => e.id === 'cancel-me'), { id: 'cancel-me', aborted: false });
  call.cancel();
  await rejected;
  for (let i = 0; i < 100 && !hangLog().find((e) => e.id === 'cancel-me')!.aborted; i++) await sleep(10);
  assert.deepEqual(hangLog().find((e) => e.id === 'cancel-me'), { id: 'cancel-me', aborted: true });
  assert.equal(h.server.inflightCount, 0);
});
