/**
 * BYTES outputs that are not valid UTF-8, asked for as JSON: /infer writes each element's bytes
 * unchanged inside the JSON string (as Triton's JSON writer does; only `"`, `\` and control bytes are
 * escaped), so the client gets exactly what the model produced; /generate (a text document of one
 * object) refuses them with a 400 instead of replacing bytes with U+FFFD.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeBytesElements } from '@inferd/protocol';
import { createInferenceServer } from '../../src/create-server.js';
import type { InferenceServer } from '../../src/core/index.js';
import { HttpFrontend } from '../../src/frontends/http/index.js';
import { inferBinary, request, splitResponse, type HttpResult } from '../support/http-harness.js';
import { makeRepo } from '../support/temp-repo.js';
import { pluginBackend } from '../support/plugin-backend.js';

/** Answers every request with OUT = ["\xff\xfeA", "ok"] (BYTES [2]), whatever IN holds. */
const RAW_OUT_BACKEND = pluginBackend('test_raw_out', `
          const strings = [Uint8Array.from([0xff, 0xfe, 0x41]), new TextEncoder().encode('ok')];
          const size = strings.reduce((n, s) => n + 4 + s.length, 0);
          const data = new Uint8Array(size);
          let at = 0;
          for (const s of strings) {
            new DataView(data.buffer).setUint32(at, s.length, true);
            data.set(s, at + 4);
            at += 4 + s.length;
          }
          for (const r of requests) r.respond({ outputs: [{ name: 'OUT', datatype: 'BYTES', shape: [2], data }] });`);

const REPO = {
  // Identity: OUTPUT0 = INPUT0 (BYTES), OUTPUT1 = INPUT1 (FP32).
  'text/config.pbtxt': [
    'backend: "identity"', 'max_batch_size: 0',
    'input [ { name: "INPUT0" data_type: TYPE_STRING dims: [ -1 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ -1 ] optional: true } ]',
    'output [ { name: "OUTPUT0" data_type: TYPE_STRING dims: [ -1 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ -1 ] } ]',
  ].join('\n'),
  'text/1/': null,
  'raw_out/config.pbtxt': [
    'backend: "test_raw_out"', 'max_batch_size: 0',
    'input [ { name: "IN" data_type: TYPE_INT32 dims: [ 1 ] } ]',
    'output [ { name: "OUT" data_type: TYPE_STRING dims: [ 2 ] } ]',
  ].join('\n'),
  'raw_out/1/': null,
};

let server: InferenceServer;
let frontend: HttpFrontend;
let port: number;
let cleanup: () => void;

before(async () => {
  const repo = makeRepo(REPO);
  const backends = `${repo.dir}-backends`;
  mkdirSync(join(backends, 'test_raw_out'), { recursive: true });
  writeFileSync(join(backends, 'test_raw_out', 'index.mjs'), RAW_OUT_BACKEND);
  ({ server } = await createInferenceServer({ modelRepository: repo.dir, backendDirectory: backends }));
  frontend = new HttpFrontend(server, { port: 0, address: '127.0.0.1', maxInputSize: 1 << 20 });
  ({ port } = await frontend.listen());
  cleanup = () => {
    repo.cleanup();
    rmSync(backends, { recursive: true, force: true });
  };
});

after(async () => {
  await frontend.close();
  await server.shutdown(1000);
  cleanup();
});

/** Elements with bytes that are not UTF-8 (a lone 0xff, a truncated sequence) and ones that need escapes. */
const ELEMENTS = [Uint8Array.from([0xff, 0x61]), Uint8Array.from([0xe2, 0x82]), Buffer.from('q"b\\s\n\x01'), Buffer.from('é')];
/** The same elements as JSON string literals: raw bytes kept, `"` `\` and controls escaped. */
const LITERALS = Buffer.concat([
  Buffer.from('["'), Buffer.from([0xff, 0x61]), Buffer.from('","'), Buffer.from([0xe2, 0x82]),
  Buffer.from('","q\\"b\\\\s\\n\\u0001","é"]'),
]);

function textInfer(outputs: unknown[], extraInputs: unknown[] = [], blobs: Uint8Array[] = [], headers: Record<string, string> = {}): Promise<HttpResult> {
  const blob = encodeBytesElements(ELEMENTS);
  return inferBinary(port, 'text', {
    inputs: [{ name: 'INPUT0', shape: [ELEMENTS.length], datatype: 'BYTES', parameters: { binary_data_size: blob.byteLength } }, ...extraInputs],
    outputs,
  }, [blob, ...blobs], headers);
}

test('/infer: a JSON BYTES output that is not UTF-8 carries its bytes unchanged', async () => {
  const r = await textInfer([{ name: 'OUTPUT0' }]);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers['content-type'], 'application/json');
  assert.equal(Number(r.headers['content-length']), r.body.byteLength);
  const expected = Buffer.concat([
    Buffer.from('{"model_name":"text","model_version":"1","outputs":[{"name":"OUTPUT0","datatype":"BYTES","shape":[4],"data":'),
    LITERALS, Buffer.from('}]}'),
  ]);
  assert.deepEqual(r.body, expected);
  // UTF-8 elements are plain JSON strings as ever; a binary BYTES output is the elements as sent.
  const blob = encodeBytesElements(['a', 'é"']);
  const json = await inferBinary(port, 'text', {
    inputs: [{ name: 'INPUT0', shape: [2], datatype: 'BYTES', parameters: { binary_data_size: blob.byteLength } }],
  }, [blob]);
  assert.equal(json.status, 200, json.text);
  assert.deepEqual(JSON.parse(json.text).outputs[0].data, ['a', 'é"']);
  const bin = await textInfer([{ name: 'OUTPUT0', parameters: { binary_data: true } }]);
  assert.deepEqual(splitResponse(bin).binary, Buffer.from(encodeBytesElements(ELEMENTS)));
});

test('/infer: with a binary output beside it, the header length counts the raw bytes', async () => {
  const fp32 = Buffer.from(new Float32Array([1.5, -2]).buffer);
  const r = await textInfer(
    [{ name: 'OUTPUT0' }, { name: 'OUTPUT1', parameters: { binary_data: true } }],
    [{ name: 'INPUT1', shape: [2], datatype: 'FP32', parameters: { binary_data_size: 8 } }], [fp32],
  );
  assert.equal(r.status, 200, r.text);
  const headerLength = Number(r.headers['inference-header-content-length']);
  const header = r.body.subarray(0, headerLength);
  assert.deepEqual(header, Buffer.concat([
    Buffer.from('{"model_name":"text","model_version":"1","outputs":[{"name":"OUTPUT0","datatype":"BYTES","shape":[4],"data":'),
    LITERALS,
    Buffer.from('},{"name":"OUTPUT1","datatype":"FP32","shape":[2],"parameters":{"binary_data_size":8}}]}'),
  ]));
  assert.deepEqual(r.body.subarray(headerLength), fp32);
});

test('/infer: gzip-compressed responses keep the raw bytes too', async () => {
  const { gunzipSync } = await import('node:zlib');
  const r = await textInfer([{ name: 'OUTPUT0' }], [], [], { 'Accept-Encoding': 'gzip' });
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-encoding'], 'gzip');
  const body = gunzipSync(r.body);
  assert.ok(body.includes(LITERALS), body.toString('latin1'));
});

test('/generate and /generate_stream refuse a BYTES output that is not UTF-8', async () => {
  const message = "output 'OUT' has BYTES elements that are not valid UTF-8 and cannot be sent as JSON text";
  const r = await request(port, 'POST', '/v2/models/raw_out/generate', { body: '{"IN":1}' });
  assert.equal(r.status, 400, r.text);
  assert.deepEqual(JSON.parse(r.text), { error: message });
  const s = await request(port, 'POST', '/v2/models/raw_out/generate_stream', { body: '{"IN":1}' });
  assert.equal(s.status, 400);
  assert.equal(s.text, `data: ${JSON.stringify({ error: message })}\n\n`);
  // /infer still answers the same model, with the bytes as they are.
  const infer = await request(port, 'POST', '/v2/models/raw_out/infer', {
    body: '{"inputs":[{"name":"IN","shape":[1],"datatype":"INT32","data":[1]}]}',
  });
  assert.equal(infer.status, 200);
  assert.ok(infer.body.includes(Buffer.from([0x22, 0xff, 0xfe, 0x41, 0x22])), infer.body.toString('latin1'));
});
