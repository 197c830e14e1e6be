/**
 * ModelStreamInfer's replies (ModelStreamInferResponse wrapping a ModelInferResponse with parameter
 * maps such as triton_final_response) are written by our encoder, byte for byte what proto-loader
 * writes; its requests are read by the ModelInfer decoder into proto-loader's objects. The service
 * definition the server registers uses both.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { pb } from '@inferd/protocol';
import { protoServices, serverInferenceService } from '../../src/frontends/grpc/service-definition.js';
import { modelStreamInferResponseEncoder } from '../../src/frontends/grpc/infer-response-encoder.js';
import { encodeInferResponse } from '../../src/frontends/grpc/infer-encode.js';
import type { InferenceResponse } from '../../src/core/index.js';

type StreamReply = pb.ModelStreamInferResponseInit;
const stock = protoServices().inference.service;
const method = stock.ModelStreamInfer!;
const genericEncode = (m: StreamReply): Buffer => method.responseSerialize(m);
let genericEncodes = 0;
const encode = modelStreamInferResponseEncoder((m) => {
  genericEncodes++;
  return genericEncode(m);
});

const FINAL = { triton_final_response: { bool_param: true } };
/** A BYTES tensor of two elements, each with its 4-byte little-endian length. */
const bytesTensor = Buffer.concat([Buffer.from([2, 0, 0, 0]), Buffer.from('hi'), Buffer.from([3, 0, 0, 0]), Buffer.from('héé').subarray(0, 3)]);

const FAST: Record<string, StreamReply> = {
  empty: {},
  errorOnly: { error_message: 'Request for unknown model: \'nope\' is not found' },
  errorWithIds: { error_message: 'bad', infer_response: { id: 'e1', model_name: 'nope', model_version: '' } },
  emptyFinal: { infer_response: { id: 'z', model_name: 'repeat', model_version: '1', parameters: FINAL } },
  rawOutputs: {
    infer_response: {
      model_name: 'identity', model_version: '1', id: 'r', parameters: { triton_final_response: { bool_param: false } },
      outputs: [{ name: 'OUT', datatype: 'FP32', shape: [2, 2] }, { name: 'E', datatype: 'INT8', shape: [0] }],
      raw_output_contents: [Buffer.from(new Float32Array([1, 2, 3, 4]).buffer), Buffer.alloc(0)],
    },
  },
  bytesOutput: {
    infer_response: {
      model_name: 'str', model_version: '2', id: '', parameters: FINAL,
      outputs: [{ name: 'TEXT', datatype: 'BYTES', shape: [2] }], raw_output_contents: [bytesTensor],
    },
  },
  everyParameterKind: {
    infer_response: {
      model_name: 'm', model_version: '1', id: 'p',
      parameters: {
        t: { bool_param: true }, f: { bool_param: false },
        zero: { int64_param: 0 }, big: { int64_param: Number.MAX_SAFE_INTEGER }, neg: { int64_param: -1 },
        minSafe: { int64_param: Number.MIN_SAFE_INTEGER }, s: { string_param: 'ünïcode' }, emptyS: { string_param: '' },
        d: { double_param: 1.5 }, negZero: { double_param: -0 }, nan: { double_param: NaN }, inf: { double_param: -Infinity },
        u: { uint64_param: 2 ** 40 }, 'clé': { string_param: 'v' }, none: {}, ...FINAL,
      },
      outputs: [{ name: 'O', datatype: 'FP32', shape: [1], parameters: { binary_data_size: { int64_param: 4 } } }],
      raw_output_contents: [Buffer.from([0, 0, 128, 63])],
    },
  },
  longReply: {
    infer_response: {
      model_name: 'm'.repeat(300), model_version: '1', id: 'x', parameters: { k: { string_param: 'v'.repeat(200) }, ...FINAL },
      outputs: [{ name: 'O', datatype: 'UINT8', shape: [70000] }], raw_output_contents: [Buffer.alloc(70000, 9)],
    },
  },
};

const GENERIC: Record<string, StreamReply> = {
  int64AsString: { infer_response: { model_name: 'm', parameters: { k: { int64_param: '9223372036854775807' } } } },
  unsafeInteger: { infer_response: { model_name: 'm', parameters: { k: { int64_param: 2 ** 60 } } } },
  negativeUint64: { infer_response: { model_name: 'm', parameters: { k: { uint64_param: -1 } } } },
  twoMembers: { infer_response: { model_name: 'm', parameters: { k: { bool_param: true, string_param: 'x' } } } },
  typedContents: { infer_response: { model_name: 'm', outputs: [{ name: 'O', contents: { int_contents: [1] } }] } },
  negativeShape: { infer_response: { model_name: 'm', outputs: [{ name: 'O', shape: [-1] }] } },
};

for (const [name, reply] of Object.entries(FAST)) {
  test(`stream reply encoding gives proto-loader's bytes without it: ${name}`, () => {
    const before = genericEncodes;
    assert.deepStrictEqual(encode(reply), genericEncode(reply));
    assert.equal(genericEncodes, before);
  });
}

for (const [name, reply] of Object.entries(GENERIC)) {
  test(`stream replies outside the fast path go to proto-loader: ${name}`, () => {
    const before = genericEncodes;
    assert.deepStrictEqual(encode(reply), genericEncode(reply));
    assert.equal(genericEncodes - before, 1);
  });
}

test('what handle-stream builds from an InferenceResponse takes the fast path and decodes back', () => {
  const r: InferenceResponse = {
    id: 'q', modelName: 'repeat', modelVersion: '1', final: true, parameters: { n: 3, ratio: 0.5, tag: 'a', ok: false },
    outputs: [{ name: 'OUT', datatype: 'INT32', shape: [1], data: new Uint8Array(new Int32Array([7]).buffer) }],
  } as InferenceResponse;
  const reply: StreamReply = { infer_response: encodeInferResponse(r, FINAL) };
  const before = genericEncodes;
  const bytes = encode(reply);
  assert.equal(genericEncodes, before);
  assert.deepStrictEqual(bytes, genericEncode(reply));
  const back = method.responseDeserialize(bytes) as pb.ModelStreamInferResponse;
  const p = back.infer_response!.parameters;
  assert.deepEqual(
    [p.n!.int64_param, p.ratio!.double_param, p.tag!.string_param, p.ok!.bool_param, p.triton_final_response!.bool_param],
    ['3', 0.5, 'a', false, true],
  );
  assert.equal(back.infer_response!.raw_output_contents[0]!.readInt32LE(0), 7);
});

test('the registered ModelStreamInfer reads requests as proto-loader does and writes its bytes', () => {
  const registered = serverInferenceService(stock).ModelStreamInfer!;
  assert.notEqual(registered.requestDeserialize, method.requestDeserialize);
  assert.notEqual(registered.responseSerialize, method.responseSerialize);
  const requests: pb.ModelInferRequestInit[] = [
    {},
    {
      model_name: 'repeat', id: 'r1', inputs: [{ name: 'IN', datatype: 'INT32', shape: [1] }],
      outputs: [{ name: 'OUT' }], raw_input_contents: [Buffer.from([3, 0, 0, 0])],
    },
    { model_name: 'repeat', parameters: { triton_enable_empty_final_response: { bool_param: true } }, inputs: [{ name: 'IN', shape: ['-1'] }] },
  ];
  for (const init of requests) {
    const bytes = method.requestSerialize(init);
    assert.deepStrictEqual(registered.requestDeserialize(bytes), method.requestDeserialize(bytes));
  }
  for (const reply of [...Object.values(FAST), ...Object.values(GENERIC)]) {
    assert.deepStrictEqual(registered.responseSerialize(reply), genericEncode(reply));
  }
});
