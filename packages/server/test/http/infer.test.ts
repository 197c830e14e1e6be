import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import zlib from 'node:zlib';
import { decodeBytesElements, encodeBf16, encodeBytesElements, encodeFp16 } from '@inferd/protocol';
import { hangLog } from '../support/fixture-resolver.js';
import {
  inferBinary, inferJson, int32Bytes, range, request, splitResponse, startHarness, type Harness,
} from '../support/http-harness.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h.close();
});

const simpleJson = (a: unknown, b: unknown, extra: Record<string, unknown> = {}) => ({
  inputs: [
    { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: a },
    { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: b },
  ],
  ...extra,
});

test('JSON in, JSON out; nested and flat data; id echoed', async () => {
  const r = await inferJson(h.port, 'simple', simpleJson(range(16), [range(16, (i) => -i)], { id: 'req-1' }));
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/json');
  assert.equal(r.headers['inference-header-content-length'], undefined);
  assert.equal(r.text,
    `{"id":"req-1","model_name":"simple","model_version":"1","outputs":[` +
    `{"name":"OUTPUT0","datatype":"INT32","shape":[1,16],"data":[${range(16).join(',')}]},` +
    `{"name":"OUTPUT1","datatype":"INT32","shape":[1,16],"data":[${range(16, (i) => -i).join(',')}]}]}`);
  const noId = await inferJson(h.port, 'simple', simpleJson(range(16), range(16), { id: '' }));
  assert.equal(JSON.parse(noId.text).id, undefined);
});

test('binary inputs and outputs; listed outputs choose their own kind', async () => {
  const header = {
    inputs: [
      { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', parameters: { binary_data_size: 64 } },
      { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: range(16, (i) => 100 + i) },
    ],
    outputs: [{ name: 'OUTPUT1', parameters: { binary_data: true } }, { name: 'OUTPUT0' }],
  };
  const r = await inferBinary(h.port, 'simple', header, [int32Bytes(range(16, (i) => 2 * i))]);
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/octet-stream');
  const { json, binary } = splitResponse(r);
  assert.deepEqual(json.outputs, [
    { name: 'OUTPUT1', datatype: 'INT32', shape: [1, 16], parameters: { binary_data_size: 64 } },
    { name: 'OUTPUT0', datatype: 'INT32', shape: [1, 16], data: range(16, (i) => 2 * i) },
  ]);
  assert.deepEqual(binary, int32Bytes(range(16, (i) => 100 + i)));
});

test('binary_data_output makes unlisted outputs binary, in response order', async () => {
  const r = await inferJson(h.port, 'simple', simpleJson(range(16), range(16, (i) => i * 3), { parameters: { binary_data_output: true } }));
  const { json, binary } = splitResponse(r);
  assert.equal(Number(r.headers['inference-header-content-length']), Buffer.byteLength(JSON.stringify(json)));
  assert.deepEqual(json.outputs.map((o: { parameters: unknown }) => o.parameters), [{ binary_data_size: 64 }, { binary_data_size: 64 }]);
  assert.deepEqual(binary, Buffer.concat([int32Bytes(range(16)), int32Bytes(range(16, (i) => i * 3))]));
});

test('datatypes through JSON: BOOL, UINT8, INT64, UINT64, FP64 keep exact values', async () => {
  const r = await inferJson(h.port, 'all_types', {
    inputs: [
      { name: 'B', shape: [3], datatype: 'BOOL', data: [true, false, true] },
      { name: 'U8', shape: [2], datatype: 'UINT8', data: [0, 255] },
      { name: 'I64', shape: [2], datatype: 'INT64', data: [-9007199254740991, 42] },
      { name: 'U64', shape: [1], datatype: 'UINT64', data: [9007199254740993] },
      { name: 'F64', shape: [3], datatype: 'FP64', data: [0.1, 2, -1e-7] },
    ],
  });
  assert.equal(r.status, 200);
  assert.equal(r.text,
    '{"model_name":"all_types","model_version":"1","outputs":[' +
    '{"name":"OB","datatype":"BOOL","shape":[3],"data":[true,false,true]},' +
    '{"name":"OU8","datatype":"UINT8","shape":[2],"data":[0,255]},' +
    '{"name":"OI64","datatype":"INT64","shape":[2],"data":[-9007199254740991,42]},' +
    // JSON.parse on the request side rounds 2^53+1 to 2^53 (accepted limitation of JSON numbers).
    '{"name":"OU64","datatype":"UINT64","shape":[1],"data":[9007199254740992]},' +
    '{"name":"OF64","datatype":"FP64","shape":[3],"data":[0.1,2.0,-1e-7]}]}');
});

test('BYTES via JSON and via binary', async () => {
  const json = await inferJson(h.port, 'identity_bytes', { inputs: [{ name: 'INPUT0', shape: [3], datatype: 'BYTES', data: ['a', 'héllo', ''] }] });
  assert.equal(json.status, 200);
  assert.deepEqual(JSON.parse(json.text).outputs[0], { name: 'OUTPUT0', datatype: 'BYTES', shape: [3], data: ['a', 'héllo', ''] });
  const blob = encodeBytesElements(['x', new Uint8Array([0, 255, 1])]);
  const bin = await inferBinary(h.port, 'identity_bytes', {
    inputs: [{ name: 'INPUT0', shape: [2], datatype: 'BYTES', parameters: { binary_data_size: blob.byteLength } }],
    outputs: [{ name: 'OUTPUT0', parameters: { binary_data: true } }],
  }, [blob]);
  const { json: head, binary } = splitResponse(bin);
  assert.deepEqual(head.outputs[0], { name: 'OUTPUT0', datatype: 'BYTES', shape: [2], parameters: { binary_data_size: blob.byteLength } });
  assert.deepEqual(decodeBytesElements(binary).map((b) => [...b]), [[0x78], [0, 255, 1]]);
});

test('FP16 and BF16 through binary', async () => {
  for (const [model, bytes] of [['identity_fp16', encodeFp16([1, -2, 0.5])], ['identity_bf16', encodeBf16([1.5, -3, 0.25])]] as const) {
    const r = await inferBinary(h.port, model, {
      inputs: [{ name: 'INPUT0', shape: [3], datatype: model === 'identity_fp16' ? 'FP16' : 'BF16', parameters: { binary_data_size: 6 } }],
      parameters: { binary_data_output: true },
    }, [bytes]);
    assert.equal(r.status, 200, r.text);
    const { json, binary } = splitResponse(r);
    assert.deepEqual(json.outputs[0].parameters, { binary_data_size: 6 });
    assert.deepEqual([...binary], [...bytes]);
  }
});

test('classification: "value:index[:label]" strings, top-k per batch item, JSON and binary', async () => {
  const payload = {
    inputs: [{ name: 'SCORES', shape: [2, 4], datatype: 'FP32', data: [[0.1, 0.4, 0.3, 0.2], [1, 3.3, 2, 0]] }],
    outputs: [{ name: 'PROBS', parameters: { classification: 2 } }],
  };
  const r = await inferJson(h.port, 'classifier', payload);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(JSON.parse(r.text).outputs, [{
    name: 'PROBS', datatype: 'BYTES', shape: [2, 2],
    data: ['0.400000:1:dog', '0.300000:2', '3.300000:1:dog', '2.000000:2'],
  }]);
  const bin = await inferJson(h.port, 'classifier', {
    ...payload, outputs: [{ name: 'PROBS', parameters: { classification: 1, binary_data: true } }],
  });
  const { json, binary } = splitResponse(bin);
  assert.deepEqual(json.outputs[0].shape, [2, 1]);
  assert.deepEqual(decodeBytesElements(binary).map((b) => Buffer.from(b).toString()), ['0.400000:1:dog', '3.300000:1:dog']);
});

test('raw binary request (header length 0): shape deduced, batch 1, outputs binary', async () => {
  const data = Buffer.from(new Float32Array([1.5, -2, 3]).buffer);
  const r = await request(h.port, 'POST', '/v2/models/raw_fp32/infer', { body: data, headers: { 'Inference-Header-Content-Length': '0' } });
  assert.equal(r.status, 200, r.text);
  const { json, binary } = splitResponse(r);
  assert.deepEqual(json, {
    model_name: 'raw_fp32', model_version: '1',
    outputs: [{ name: 'OUTPUT0', datatype: 'FP32', shape: [1, 3], parameters: { binary_data_size: 12 } }],
  });
  assert.deepEqual(binary, data);
  const bytes = await request(h.port, 'POST', '/v2/models/raw_bytes/infer', { body: 'hello', headers: { 'Inference-Header-Content-Length': '0' } });
  const out = splitResponse(bytes);
  assert.deepEqual(out.json.outputs[0].shape, [1, 1]);
  assert.deepEqual(decodeBytesElements(out.binary).map((b) => Buffer.from(b).toString()), ['hello']);
});

test('gzip and deflate request bodies, binary and JSON', async () => {
  const body = Buffer.from(JSON.stringify(simpleJson(range(16), range(16, (i) => 7 * i), { id: 'z' })));
  for (const [enc, packed] of [['gzip', zlib.gzipSync(body)], ['deflate', zlib.deflateSync(body)]] as const) {
    const r = await request(h.port, 'POST', '/v2/models/simple/infer', { body: packed, headers: { 'Content-Encoding': enc } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(JSON.parse(r.text).outputs[1].data, range(16, (i) => 7 * i));
  }
  const head = Buffer.from(JSON.stringify({ inputs: [
    { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', parameters: { binary_data_size: 64 } },
    { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', parameters: { binary_data_size: 64 } }] }));
  const full = Buffer.concat([head, int32Bytes(range(16)), int32Bytes(range(16, (i) => i + 1))]);
  const r = await request(h.port, 'POST', '/v2/models/simple/infer', {
    body: zlib.gzipSync(full), headers: { 'Content-Encoding': 'gzip', 'Inference-Header-Content-Length': String(head.byteLength) },
  });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(JSON.parse(r.text).outputs[1].data, range(16, (i) => i + 1));
});

test('response compression follows Accept-Encoding q-values; header length stays uncompressed', async () => {
  const payload = simpleJson(range(16), range(16));
  const plain = await inferJson(h.port, 'simple', payload);
  const cases: [string, string | undefined][] = [
    ['gzip', 'gzip'], ['deflate', 'deflate'], ['gzip;q=0.5, deflate;q=0.8', 'deflate'], ['identity, gzip', undefined],
    ['br', undefined], ['gzip;q=0.2,identity;q=0.9', undefined], [' deflate;q=0.3, gzip;q=0.3', 'deflate'],
  ];
  for (const [accept, expected] of cases) {
    const r = await inferJson(h.port, 'simple', payload, { 'Accept-Encoding': accept });
    assert.equal(r.headers['content-encoding'], expected, accept);
    const text = expected === 'gzip' ? zlib.gunzipSync(r.body).toString()
      : expected === 'deflate' ? zlib.inflateSync(r.body).toString() : r.text;
    assert.equal(text, plain.text, accept);
  }
  const bin = await inferJson(h.port, 'simple', { ...payload, parameters: { binary_data_output: true } }, { 'Accept-Encoding': 'gzip' });
  assert.equal(bin.headers['content-encoding'], 'gzip');
  const raw = zlib.gunzipSync(bin.body);
  const n = Number(bin.headers['inference-header-content-length']);
  assert.equal(JSON.parse(raw.subarray(0, n).toString()).outputs.length, 2);
  assert.equal(raw.byteLength - n, 128);
});

test('request parameters map onto request fields; other scalars reach the model', async () => {
  const r = await inferJson(h.port, 'inspect', {
    inputs: [{ name: 'IN', shape: [1], datatype: 'INT32', data: [5] }],
    parameters: {
      sequence_id: 42, sequence_start: true, sequence_end: false, priority: 2, timeout: 1500,
      my_str: 'x', my_int: 3, my_bool: true, my_double: 2.5, headers: { 'x-trace': 'abc' },
    },
  });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(JSON.parse(r.text).parameters, {
    my_str: 'x', my_int: 3, my_bool: true, my_double: 2.5, 'x-trace': 'abc',
    priority: 2, timeout_us: 1500, correlation_id: '42', correlation_type: 'bigint', flags: 1, ratio: 0.5,
  });
  const s = await inferJson(h.port, 'inspect', {
    inputs: [{ name: 'IN', shape: [1], datatype: 'INT32', data: [5] }], parameters: { sequence_id: 'abc', sequence_end: true },
  });
  const p = JSON.parse(s.text).parameters;
  assert.deepEqual([p.correlation_id, p.correlation_type, p.flags], ['abc', 'string', 2]);
});

test('concurrent requests do not mix data', async () => {
  const results = await Promise.all(range(40).map(async (k) => {
    const r = await inferBinary(h.port, 'simple', {
      id: `c${k}`,
      inputs: [
        { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', parameters: { binary_data_size: 64 } },
        { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: range(16, (i) => k * 1000 - i) },
      ],
      parameters: { binary_data_output: k % 2 === 0 },
    }, [int32Bytes(range(16, (i) => k * 1000 + i))]);
    return { k, r };
  }));
  for (const { k, r } of results) {
    assert.equal(r.status, 200);
    const { json, binary } = splitResponse(r);
    assert.equal(json.id, `c${k}`);
    if (k % 2 === 0) {
      assert.deepEqual(binary, Buffer.concat([int32Bytes(range(16, (i) => k * 1000 + i)), int32Bytes(range(16, (i) => k * 1000 - i))]));
    } else {
      assert.deepEqual(json.outputs[0].data, range(16, (i) => k * 1000 + i));
      assert.deepEqual(json.outputs[1].data, range(16, (i) => k * 1000 - i));
    }
  }
});

test('keep-alive connection serves many requests; chunked request bodies are accepted', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  for (let k = 0; k < 5; k++) {
    const r = await request(h.port, 'POST', '/v2/models/simple/infer', {
      body: JSON.stringify(simpleJson(range(16, () => k), range(16))), agent, chunked: k % 2 === 1,
    });
    assert.equal(JSON.parse(r.text).outputs[0].data[0], k);
  }
  agent.destroy();
});

test('a client that closes its socket aborts the request', async () => {
  const before = hangLog.length;
  await new Promise<void>((resolve) => {
    const req = http.request({ host: '127.0.0.1', port: h.port, method: 'POST', path: '/v2/models/hang/infer', agent: false });
    req.on('error', () => resolve());
    req.end(JSON.stringify({ id: 'bye', inputs: [{ name: 'IN', shape: [1], datatype: 'INT32', data: [1] }] }));
    setTimeout(() => req.destroy(), 100);
  });
  for (let i = 0; i < 50 && hangLog[before]?.aborted !== true; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(hangLog[before], { id: 'bye', aborted: true });
  // The server is still fine.
  assert.equal((await request(h.port, 'GET', '/v2/health/ready')).status, 200);
});
