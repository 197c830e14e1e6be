/**
 * The Python examples (examples/models/add_sub, repeat_py) through real HTTP and gRPC sockets, each
 * model.py run unchanged by a real Python stub.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { InferenceResponse } from '../../src/index.js';
import { inferJson, request } from '../support/http-harness.js';
import { exampleFiles, f32, i32, readF32, readI32, startPython, type PythonHarness } from './support.js';

let h: PythonHarness;

before(async () => {
  h = await startPython({ ...exampleFiles('add_sub'), ...exampleFiles('repeat_py') });
});
after(async () => {
  await h?.close();
});

test('add_sub over HTTP JSON: OUTPUT0 = INPUT0 + INPUT1, OUTPUT1 = INPUT0 - INPUT1', async () => {
  const r = await inferJson(h.httpPort, 'add_sub', {
    id: 'a1',
    inputs: [
      { name: 'INPUT0', shape: [4], datatype: 'FP32', data: [1, 2, 3, 4] },
      { name: 'INPUT1', shape: [4], datatype: 'FP32', data: [0.5, 0.5, 10, -1] },
    ],
  });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(JSON.parse(r.text), {
    id: 'a1', model_name: 'add_sub', model_version: '1',
    outputs: [
      { name: 'OUTPUT0', datatype: 'FP32', shape: [4], data: [1.5, 2.5, 13, 3] },
      { name: 'OUTPUT1', datatype: 'FP32', shape: [4], data: [0.5, 1.5, -7, 5] },
    ],
  });
});

test('add_sub over gRPC with raw contents; only the requested output comes back', async () => {
  const res = await h.grpc.call('ModelInfer', {
    model_name: 'add_sub',
    inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [4] }, { name: 'INPUT1', datatype: 'FP32', shape: [4] }],
    outputs: [{ name: 'OUTPUT1' }],
    raw_input_contents: [f32([10, 20, 30, 40]), f32([1, 2, 3, 4])],
  });
  assert.deepEqual(res.outputs.map((o: { name: string; shape: unknown[] }) => [o.name, o.shape.map(Number)]), [['OUTPUT1', [4]]]);
  assert.deepEqual(readF32(res.raw_output_contents[0]), [9, 18, 27, 36]);
});

test('add_sub metadata and config come from config.pbtxt (backend python, no platform)', async () => {
  const meta = JSON.parse((await request(h.httpPort, 'GET', '/v2/models/add_sub')).text);
  assert.equal(meta.platform, 'python');
  assert.deepEqual(meta.inputs, [{ name: 'INPUT0', datatype: 'FP32', shape: [4] }, { name: 'INPUT1', datatype: 'FP32', shape: [4] }]);
  const cfg = JSON.parse((await request(h.httpPort, 'GET', '/v2/models/add_sub/config')).text);
  assert.equal(cfg.backend, 'python');
  assert.equal(cfg.default_model_filename, 'model.py');
});

test('repeat_py over HTTP generate_stream: one event per IN element, flag-only final sends none', async () => {
  const r = await request(h.httpPort, 'POST', '/v2/models/repeat_py/generate_stream', { body: JSON.stringify({ IN: [5, -6, 7], DELAY: [0, 5, 5] }) });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.text,
    'data: {"IDX":0,"OUT":5,"model_name":"repeat_py","model_version":"1"}\n\n' +
    'data: {"IDX":1,"OUT":-6,"model_name":"repeat_py","model_version":"1"}\n\n' +
    'data: {"IDX":2,"OUT":7,"model_name":"repeat_py","model_version":"1"}\n\n');
});

test('repeat_py over gRPC ModelStreamInfer: responses in order, then the empty final one', async () => {
  const stream = h.grpc.stream();
  const messages: any[] = [];
  const ended = new Promise<void>((resolve, reject) => {
    stream.on('data', (m: any) => {
      messages.push(m);
      if (m.infer_response?.parameters?.triton_final_response?.bool_param === true) stream.end();
    });
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  stream.write({
    model_name: 'repeat_py', id: 's1', inputs: [{ name: 'IN', datatype: 'INT32', shape: [4] }],
    raw_input_contents: [i32([3, 1, 4, 1])], parameters: { triton_enable_empty_final_response: { bool_param: true } },
  });
  await ended;
  assert.ok(messages.every((m) => m.error_message === ''), JSON.stringify(messages.map((m) => m.error_message)));
  const values = messages.filter((m) => m.infer_response.outputs.length > 0).map((m) => {
    const out = m.infer_response.outputs.findIndex((o: { name: string }) => o.name === 'OUT');
    const idx = m.infer_response.outputs.findIndex((o: { name: string }) => o.name === 'IDX');
    return [readI32(m.infer_response.raw_output_contents[out])[0], readI32(m.infer_response.raw_output_contents[idx])[0]];
  });
  assert.deepEqual(values, [[3, 0], [1, 1], [4, 2], [1, 3]]);
  assert.equal(messages.length, 5);
  assert.equal(messages.at(-1).infer_response.id, 's1');
});

test('repeat_py: mismatched DELAY is the request\'s error response (INVALID_ARG -> 400)', async () => {
  const r = await request(h.httpPort, 'POST', '/v2/models/repeat_py/generate', { body: JSON.stringify({ IN: [1, 2], DELAY: [1] }) });
  assert.equal(r.status, 400, r.text);
  assert.deepEqual(JSON.parse(r.text), { error: 'expected IN and DELAY shape to match, got 2 and 1 elements' });
});

test('repeat_py: a cancelled request is seen by request.is_cancelled() and ends with CANCELLED', async () => {
  const controller = new AbortController();
  const responses: InferenceResponse[] = [];
  await new Promise<void>((resolve) => {
    h.server.inferStream({
      modelName: 'repeat_py', signal: controller.signal,
      inputs: [
        { name: 'IN', datatype: 'INT32', shape: [3], data: new Uint8Array(i32([1, 2, 3])) },
        { name: 'DELAY', datatype: 'UINT32', shape: [3], data: new Uint8Array(new Uint32Array([0, 300, 300]).buffer) },
      ],
    }, (r) => {
      responses.push(r);
      if (responses.length === 1) controller.abort();
      if (r.final) resolve();
    });
  });
  assert.equal(responses.length, 2);
  assert.equal(responses[0]!.outputs.length, 2);
  assert.equal(responses[1]!.error?.code, 'CANCELLED');
  assert.equal(responses[1]!.error?.message, 'request cancelled');
});
