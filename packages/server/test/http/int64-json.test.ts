/**
 * 64-bit integers in HTTP JSON stay exact, as rapidjson keeps them (JSON.parse would round anything
 * past 2^53): INT64/UINT64 `data` at their limits and just above 2^53 round-trip through an identity
 * model, and `sequence_id`s that differ only past 2^53 are separate sequences. Shapes whose element
 * count or byte size passes int64 are refused with Triton's 400 texts (JSON and binary inputs), and
 * /generate refuses an input key given twice.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createInferenceServer } from '../../src/create-server.js';
import type { InferenceServer } from '../../src/core/index.js';
import { HttpFrontend } from '../../src/frontends/http/index.js';
import { FIXTURE_MODELS, type FixtureModelDef } from '../support/fixture-resolver.js';
import { request, splitResponse, startHarness, type Harness, type HttpResult } from '../support/http-harness.js';
import { makeRepo } from '../support/temp-repo.js';
import { resetRecord, seqConfig, writeBackendDir } from '../sequence/support.js';

/** Triton's qa model for the overflow checks: FP32 INPUT0 of any 2-D shape, no batching. */
const ZERO_1_FLOAT32: FixtureModelDef = {
  name: 'onnx_zero_1_float32', maxBatchSize: 0,
  inputs: [{ name: 'INPUT0', datatype: 'FP32', dims: [-1, -1] }], outputs: [{ name: 'OUTPUT0', datatype: 'FP32', dims: [-1, -1] }],
};

/** Identity over one INT64 and one UINT64 tensor. */
const INT64_IDENTITY: FixtureModelDef = {
  name: 'int64_identity', maxBatchSize: 0,
  inputs: [{ name: 'I64', datatype: 'INT64', dims: [-1] }, { name: 'U64', datatype: 'UINT64', dims: [-1] }],
  outputs: [{ name: 'OI64', datatype: 'INT64', dims: [-1] }, { name: 'OU64', datatype: 'UINT64', dims: [-1] }],
};

let h: Harness;
let seqServer: InferenceServer;
let seqHttp: HttpFrontend;
let seqPort: number;
let cleanups: (() => void)[] = [];

before(async () => {
  h = await startHarness({}, [...FIXTURE_MODELS, ZERO_1_FLOAT32, INT64_IDENTITY]);
  const repo = makeRepo({
    // The sequence's id reaches the model as a UINT64 CORRID control input, so its exact value is visible.
    'seq/config.pbtxt': seqConfig(`
      control_input [ { name: "CORRID" control [ { kind: CONTROL_SEQUENCE_CORRID data_type: TYPE_UINT64 } ] } ]
      state [ { input_name: "ACC_IN" output_name: "ACC_OUT" data_type: TYPE_INT32 dims: [ 1 ] } ]`, { maxBatch: 4 }),
    'seq/1/': null,
  });
  const backends = writeBackendDir();
  cleanups = [repo.cleanup, backends.cleanup];
  ({ server: seqServer } = await createInferenceServer({ modelRepository: repo.dir, backendDirectory: backends.dir }));
  seqHttp = new HttpFrontend(seqServer, { port: 0, address: '127.0.0.1', maxInputSize: 1 << 20 });
  ({ port: seqPort } = await seqHttp.listen());
});

after(async () => {
  await h.close();
  await seqHttp.close();
  await seqServer.shutdown(1000);
  for (const c of cleanups) c();
});

/** POSTs JSON text as written (JSON.stringify cannot write integers past 2^53). */
const post = (port: number, model: string, body: string, path = 'infer'): Promise<HttpResult> =>
  request(port, 'POST', `/v2/models/${model}/${path}`, { body });

function expectError(r: HttpResult, status: number, message: string): void {
  assert.equal(r.text, JSON.stringify({ error: message }), `status ${r.status}`);
  assert.equal(r.status, status);
}

const I64 = ['9223372036854775807', '-9223372036854775808', '9007199254740993', '-9007199254740993', '0'];
const U64 = ['18446744073709551615', '9007199254740993', '9223372036854775808', '0'];

test('INT64 and UINT64 JSON data round-trip exactly: limits and values past 2^53', async () => {
  const body = `{"inputs":[` +
    `{"name":"I64","shape":[${I64.length}],"datatype":"INT64","data":[${I64.join(',')}]},` +
    `{"name":"U64","shape":[${U64.length}],"datatype":"UINT64","data":[${U64.join(',')}]}]}`;
  const r = await post(h.port, 'int64_identity', body);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.text,
    '{"model_name":"int64_identity","model_version":"1","outputs":[' +
    `{"name":"OI64","datatype":"INT64","shape":[${I64.length}],"data":[${I64.join(',')}]},` +
    `{"name":"OU64","datatype":"UINT64","shape":[${U64.length}],"data":[${U64.join(',')}]}]}`);
  // The bytes the model saw, read back as binary outputs.
  const bin = await post(h.port, 'int64_identity', body.replace(/}$/, ',"parameters":{"binary_data_output":true}}'));
  const { binary } = splitResponse(bin);
  assert.deepEqual([...new BigInt64Array(binary.buffer.slice(binary.byteOffset, binary.byteOffset + 8 * I64.length))], I64.map(BigInt));
  assert.deepEqual([...new BigUint64Array(binary.buffer.slice(binary.byteOffset + 8 * I64.length, binary.byteOffset + binary.byteLength))],
    U64.map(BigInt));
});

test('64-bit JSON integers out of range are refused with rapidjson accessor texts', async () => {
  const one = (name: string, datatype: string, v: string) => post(h.port, 'int64_identity',
    `{"inputs":[{"name":"${name}","shape":[1],"datatype":"${datatype}","data":[${v}]},` +
    `{"name":"${name === 'I64' ? 'U64' : 'I64'}","shape":[1],"datatype":"${name === 'I64' ? 'UINT64' : 'INT64'}","data":[0]}]}`);
  expectError(await one('I64', 'INT64', '9223372036854775808'), 500,
    "Unable to parse 'data': attempt to access JSON non-signed-integer as signed-integer");
  expectError(await one('U64', 'UINT64', '18446744073709551616'), 500,
    "Unable to parse 'data': attempt to access JSON non-unsigned-integer as unsigned-integer");
  expectError(await one('U64', 'UINT64', '-9007199254740993'), 500,
    "Unable to parse 'data': attempt to access JSON non-unsigned-integer as unsigned-integer");
});

/** One step of sequence `id` (a JSON number literal) adding `value`; resolves with OUTPUT. */
async function step(id: string, value: number, flags: { start?: boolean; end?: boolean } = {}): Promise<number> {
  const params = [`"sequence_id":${id}`];
  if (flags.start) params.push('"sequence_start":true');
  if (flags.end) params.push('"sequence_end":true');
  const r = await post(seqPort, 'seq',
    `{"inputs":[{"name":"INPUT","shape":[1,1],"datatype":"INT32","data":[${value}]}],"parameters":{${params.join(',')}}}`);
  assert.equal(r.status, 200, r.text);
  return JSON.parse(r.text).outputs[0].data[0] as number;
}

test('sequence ids that differ only past 2^53 are separate sequences, and reach the model exactly', async () => {
  const record = resetRecord();
  const a = '9007199254740992';
  const b = '9007199254740993';
  const max = '18446744073709551615';
  assert.equal(await step(a, 10, { start: true }), 10);
  assert.equal(await step(b, 100, { start: true }), 100);
  assert.equal(await step(max, 1000, { start: true }), 1000);
  assert.equal(await step(a, 1), 11);
  assert.equal(await step(b, 2, { end: true }), 102);
  assert.equal(await step(max, 3, { end: true }), 1003);
  assert.equal(await step(a, 4, { end: true }), 15);
  const ids = record.log.flatMap((e) => e.requests.map((r) => {
    const bytes = Uint8Array.from(r.inputs.CORRID!.bytes);
    return new DataView(bytes.buffer).getBigUint64(0, true).toString();
  }));
  assert.deepEqual(ids, [a, b, max, a, b, max, a]);
});

test('a shape past int64 is refused with Triton\'s texts (JSON data and binary data), before any allocation', async () => {
  const big = '1152921504606846978'; // 2^60 + 2, as in Triton's qa test_buffer_size_overflow
  const json = (d0: number) =>
    `{"inputs":[{"name":"INPUT0","shape":[${d0},${big}],"datatype":"FP32","data":[1.0]}]}`;
  const count = `input 'INPUT0' for model 'onnx_zero_1_float32' with shape [16,${big}] ` +
    'causes total element count to exceed maximum size of 9223372036854775807';
  const bytes = "byte size overflow for input 'INPUT0' for model 'onnx_zero_1_float32'";
  expectError(await post(h.port, 'onnx_zero_1_float32', json(16)), 400, count);
  expectError(await post(h.port, 'onnx_zero_1_float32', json(4)), 400, bytes);
  // The same shapes with a binary blob: refused by request validation with the same texts.
  const binary = async (d0: number): Promise<HttpResult> => {
    const header = `{"id":"b1","inputs":[{"name":"INPUT0","shape":[${d0},${big}],"datatype":"FP32","parameters":{"binary_data_size":4}}]}`;
    return request(h.port, 'POST', '/v2/models/onnx_zero_1_float32/infer', {
      body: Buffer.concat([Buffer.from(header), Buffer.from(new Float32Array([1]).buffer)]),
      headers: { 'Inference-Header-Content-Length': String(Buffer.byteLength(header)) },
    });
  };
  expectError(await binary(16), 400, `[request id: b1] ${count}`);
  expectError(await binary(4), 400, `[request id: b1] ${bytes}`);
  const ok = await post(h.port, 'onnx_zero_1_float32', '{"inputs":[{"name":"INPUT0","shape":[1,1],"datatype":"FP32","data":[1.5]}]}');
  assert.equal(ok.status, 200, ok.text);
});

test('/generate refuses an input key given twice (JSON.parse would keep the last one)', async () => {
  expectError(await post(h.port, 'raw_fp32', '{"INPUT0":[1],"INPUT0":[2]}', 'generate'), 400, "input 'INPUT0' already exists in request");
  // A repeated non-input key is a parameter, as before; one INPUT0 works.
  const ok = await post(h.port, 'raw_fp32', '{"INPUT0":[1.5],"p":1,"p":2}', 'generate');
  assert.equal(ok.status, 200, ok.text);
  assert.equal(JSON.parse(ok.text).OUTPUT0, 1.5);
});
