/**
 * ModelInfer's own request decoder and reply encoder must give exactly what proto-loader's generic
 * ones give (objects: longs as strings, defaults, oneof names, typed contents; reply bytes), taking
 * the fast path only for the common shapes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { pb } from '@inferd/protocol';
import { protoServices } from '../../src/frontends/grpc/service-definition.js';
import { modelInferRequestDecoder } from '../../src/frontends/grpc/model-infer-codec.js';
import { modelInferResponseEncoder } from '../../src/frontends/grpc/infer-response-encoder.js';

const method = protoServices().inference.service.ModelInfer!;
const generic = (buf: Buffer): pb.ModelInferRequest => method.requestDeserialize(buf) as pb.ModelInferRequest;
let genericCalls = 0;
const decodeModelInferRequest = modelInferRequestDecoder((buf) => {
  genericCalls++;
  return generic(buf);
});

const REQUESTS: Record<string, pb.ModelInferRequestInit> = {
  empty: {},
  raw: {
    model_name: 'm', model_version: '2', id: 'r1',
    inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 16] }],
    outputs: [{ name: 'OUTPUT0' }],
    raw_input_contents: [Buffer.from([1, 2, 3, 4])],
  },
  smallShapes: {
    model_name: 'm', model_version: '', id: 'é-ü',
    inputs: [{ name: 'X', datatype: 'INT8', shape: ['0', '1', '127', '128', '16384', '2147483647', '4294967296', '562949953421311'] }],
    outputs: [{ name: 'A' }, { name: 'B' }],
    raw_input_contents: [Buffer.alloc(0), Buffer.from([9])],
  },
  wideShapes: {
    model_name: 'm',
    inputs: [{ name: 'X', datatype: 'INT8', shape: ['-1', '0', '562949953421312', '-9223372036854775808', '9223372036854775807'] }],
  },
  paramsAndContents: {
    model_name: 'm',
    parameters: {
      sequence_id: { int64_param: '18446744073709551615' }, sequence_start: { bool_param: true },
      s: { string_param: 'x' }, d: { double_param: 1.5 }, u: { uint64_param: '7' },
    },
    inputs: [
      {
        name: 'A', datatype: 'INT64', shape: [2], parameters: { shared_memory_region: { string_param: 'r' } },
        contents: { int64_contents: ['-5', '9007199254740993'], fp32_contents: [0.5] },
      },
      { name: 'B', datatype: 'BYTES', shape: [1], contents: { bytes_contents: [Buffer.from('hi')] } },
    ],
    outputs: [{ name: 'O', parameters: { classification: { int64_param: 3 } } }],
  },
  streamParams: {
    model_name: 'repeat', id: 's1',
    parameters: {
      sequence_id: { uint64_param: '42' }, sequence_start: { bool_param: true }, sequence_end: { bool_param: false },
      triton_enable_empty_final_response: { bool_param: true }, priority: { uint64_param: 0 }, timeout: { int64_param: 562949953421311 },
      ratio: { double_param: -0.25 }, nan: { double_param: NaN }, label: { string_param: 'ünï' }, empty: { string_param: '' }, none: {},
    },
    inputs: [{ name: 'IN', datatype: 'INT32', shape: [1], parameters: { shared_memory_region: { string_param: 'r' }, shared_memory_byte_size: { int64_param: 4 } } }],
    outputs: [{ name: 'OUT', parameters: { classification: { int64_param: 3 }, binary_data: { bool_param: true } } }],
    raw_input_contents: [Buffer.from([1, 0, 0, 0])],
  },
  negativeParam: { model_name: 'm', parameters: { k: { int64_param: -1 } } },
  hugeParam: { model_name: 'm', parameters: { sequence_id: { uint64_param: '18446744073709551615' } } },
};

/** Which requests the wire fast path reads itself. */
const FAST: Record<string, boolean> = {
  empty: true, raw: true, smallShapes: true, wideShapes: false, paramsAndContents: false,
  streamParams: true, negativeParam: false, hugeParam: false,
};

for (const [name, init] of Object.entries(REQUESTS)) {
  test(`request decoding equals proto-loader's: ${name}`, () => {
    const bytes = method.requestSerialize(init);
    const before = genericCalls;
    assert.deepStrictEqual(decodeModelInferRequest(bytes), generic(bytes));
    assert.equal(genericCalls - before, FAST[name] ? 0 : 1);
  });
}

test('unpacked shape elements and several inputs/outputs/raw entries are read by the fast path', () => {
  // Hand-built: input { name "A" shape 3 (unpacked, field 3 varint) shape 300 } twice, two outputs, two raw.
  const inputMsg = Buffer.from([10, 1, 65, 18, 4, 70, 80, 51, 50, 24, 3, 24, 0xac, 0x02]);
  const outputMsg = Buffer.from([10, 1, 79]);
  const bytes = Buffer.concat([
    Buffer.from([10, 1, 109]),
    Buffer.from([42, inputMsg.length]), inputMsg, Buffer.from([42, inputMsg.length]), inputMsg,
    Buffer.from([50, outputMsg.length]), outputMsg, Buffer.from([50, outputMsg.length]), outputMsg,
    Buffer.from([58, 2, 1, 2, 58, 0]),
  ]);
  const before = genericCalls;
  const decoded = decodeModelInferRequest(bytes);
  assert.equal(genericCalls, before);
  assert.deepStrictEqual(decoded, generic(bytes));
  assert.deepStrictEqual(decoded.inputs[1]!.shape, ['3', '300']);
  assert.deepStrictEqual(decoded.raw_input_contents, [Buffer.from([1, 2]), Buffer.alloc(0)]);
});

test('hand-built parameter entries outside the fast path (two oneof members, value before key) are left to proto-loader', () => {
  const twoMembers = Buffer.from([8, 1, 26, 1, 120]); // bool_param true, string_param "x"
  const entry = (body: Buffer) => Buffer.concat([Buffer.from([34, body.length]), body]);
  const cases = [
    entry(Buffer.concat([Buffer.from([10, 1, 107, 18, twoMembers.length]), twoMembers])),
    entry(Buffer.from([18, 2, 8, 1, 10, 1, 107])),
  ];
  for (const bytes of cases) {
    const before = genericCalls;
    assert.deepStrictEqual(decodeModelInferRequest(bytes), generic(bytes));
    assert.equal(genericCalls - before, 1);
  }
});

test('every truncation of a request with parameters decodes or fails exactly as proto-loader does', () => {
  const whole = method.requestSerialize(REQUESTS.streamParams!);
  for (let n = 0; n < whole.length; n++) {
    const bytes = whole.subarray(0, n);
    let expected: unknown;
    try {
      expected = generic(bytes);
    } catch (err) {
      assert.throws(() => decodeModelInferRequest(bytes), { message: (err as Error).message }, `prefix ${n}`);
      continue;
    }
    assert.deepStrictEqual(decodeModelInferRequest(bytes), expected, `prefix ${n}`);
  }
});

test("malformed bytes get proto-loader's own error", () => {
  const bytes = method.requestSerialize(REQUESTS.raw!).subarray(0, 20);
  assert.throws(() => generic(bytes));
  assert.throws(() => decodeModelInferRequest(bytes), (err: Error) => {
    assert.throws(() => generic(bytes), { message: err.message });
    return true;
  });
});

test('the parameter maps of a decoded request are fresh objects (header forwarding adds keys)', () => {
  const bytes = method.requestSerialize({ model_name: 'm', inputs: [{ name: 'A', datatype: 'FP32', shape: [1] }] });
  const a = decodeModelInferRequest(bytes);
  const b = decodeModelInferRequest(bytes);
  a.parameters.k = { parameter_choice: 'string_param', string_param: 'v' } as pb.InferParameter;
  assert.deepStrictEqual(b.parameters, {});
});

let genericEncodes = 0;
const encodeModelInferResponse = modelInferResponseEncoder((r) => {
  genericEncodes++;
  return method.responseSerialize(r);
});

test("reply encoding gives proto-loader's bytes", () => {
  const cases: [pb.ModelInferResponseInit, boolean][] = [
    [{ model_name: 'm', model_version: '1', id: '', parameters: {}, outputs: [], raw_output_contents: [] }, true],
    [{}, true],
    [{
      model_name: 'idé', model_version: '3', id: 'x'.repeat(200), parameters: {},
      outputs: [
        { name: 'OUTPUT0', datatype: 'FP32', shape: [1, 4] },
        { name: 'B', datatype: 'BYTES', shape: [] },
        { name: 'C', datatype: 'INT8', shape: [0, 127, 128, 300, 2 ** 40, Number.MAX_SAFE_INTEGER] },
      ],
      raw_output_contents: [Buffer.from([0, 0, 128, 63]), Buffer.alloc(0), new Uint8Array(300).fill(7)],
    }, true],
    [{
      model_name: 'm', model_version: '1', id: 'p',
      parameters: { triton_final_response: { bool_param: false }, n: { int64_param: 5 }, s: { string_param: 'z' } },
      outputs: [{ name: 'O', datatype: 'FP32', shape: [1] }], raw_output_contents: [Buffer.from([1, 2, 3, 4])],
    }, true],
    [{ model_name: 'm', outputs: [{ name: 'O', datatype: 'INT8', shape: [-1] }] }, false],
    [{ model_name: 'm', outputs: [{ name: 'O', datatype: 'INT8', shape: ['5'] }] }, false],
    [{ model_name: 'm', outputs: [{ name: 'O', parameters: { k: { bool_param: true } } }] }, true],
    [{ model_name: 'm', outputs: [{ name: 'O', parameters: { k: { int64_param: '5' } } }] }, false],
    [{ model_name: 'm', outputs: [{ name: 'O', contents: { fp32_contents: [1] } }] }, false],
  ];
  for (const [reply, fast] of cases) {
    const before = genericEncodes;
    assert.deepStrictEqual(encodeModelInferResponse(reply), method.responseSerialize(reply));
    assert.equal(genericEncodes - before, fast ? 0 : 1, JSON.stringify(reply).slice(0, 80));
  }
});
