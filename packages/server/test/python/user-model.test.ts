/**
 * A model.py written the way Triton users write theirs (pb_utils helpers, Tensor, InferenceResponse,
 * TritonError, Logger, initialize args) runs unchanged; request fields reach it; BYTES round-trips;
 * `async def execute` with a dynamic batch gets several requests in one call; finalize runs at unload.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeBytesElements, encodeBytesElements } from '@inferd/protocol';
import { inferJson } from '../support/http-harness.js';
import { f32, readF32, startPython, type PythonHarness } from './support.js';

const USER_MODEL = `
import json

import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def initialize(self, args):
        self.args = args
        self.model_config = model_config = json.loads(args["model_config"])
        out_config = pb_utils.get_output_config_by_name(model_config, "OUT")
        self.out_dtype = pb_utils.triton_string_to_numpy(out_config["data_type"])
        self.marker = model_config["parameters"]["finalize_marker"]["string_value"]
        pb_utils.Logger.log_info("user_model initialized")

    def execute(self, requests):
        responses = []
        for request in requests:
            x = pb_utils.get_input_tensor_by_name(request, "X").as_numpy()
            if (x < 0).any():
                error = pb_utils.TritonError("negative input", pb_utils.TritonError.INVALID_ARG)
                responses.append(pb_utils.InferenceResponse(output_tensors=[], error=error))
                continue
            if x.sum() == 13:
                raise pb_utils.TritonError("unlucky input")
            out = pb_utils.Tensor("OUT", (x * 2).astype(self.out_dtype))
            info = {
                "request_id": request.request_id(),
                "correlation_id": request.correlation_id(),
                "flags": request.flags(),
                "parameters": json.loads(request.parameters()),
                "requested": request.requested_output_names(),
                "args": {k: v for k, v in self.args.items() if k != "model_config"},
                "config_name": self.model_config["name"],
                "dtype": pb_utils.numpy_to_triton_type(x.dtype),
                "x_dtype": str(x.dtype),
                "shape": list(x.shape),
            }
            info_tensor = pb_utils.Tensor("INFO", np.array([json.dumps(info).encode("utf-8")], dtype=np.object_))
            words = pb_utils.get_input_tensor_by_name(request, "WORDS")
            outputs = [out, info_tensor]
            if words is not None:
                reversed_words = np.array([w[::-1] for w in words.as_numpy().reshape(-1)], dtype=np.object_)
                outputs.append(pb_utils.Tensor("REVERSED", reversed_words.reshape(words.as_numpy().shape)))
            responses.append(pb_utils.InferenceResponse(output_tensors=outputs))
        return responses

    def finalize(self):
        pb_utils.Logger.log_warn("user_model finalize")
        with open(self.marker, "w") as f:
            f.write("finalized")
`;

const BATCH_MODEL = `
import asyncio

import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    async def execute(self, requests):
        await asyncio.sleep(0)
        responses = []
        for request in requests:
            x = pb_utils.get_input_tensor_by_name(request, "X").as_numpy()
            n = np.full(x.shape, len(requests), dtype=np.int32)
            responses.append(pb_utils.InferenceResponse([pb_utils.Tensor("N", n)]))
        return responses
`;

let h: PythonHarness;
let markerDir: string;

before(async () => {
  markerDir = mkdtempSync(join(tmpdir(), 'inferd-py-marker-'));
  h = await startPython({
    'user_model/config.pbtxt': [
      'backend: "python"', 'max_batch_size: 8',
      'input [ { name: "X" data_type: TYPE_FP32 dims: [ 2 ] }, { name: "WORDS" data_type: TYPE_STRING dims: [ -1 ] optional: true } ]',
      'output [ { name: "OUT" data_type: TYPE_FP32 dims: [ 2 ] }, { name: "INFO" data_type: TYPE_STRING dims: [ 1 ] },',
      '         { name: "REVERSED" data_type: TYPE_STRING dims: [ -1 ] } ]',
      `parameters { key: "finalize_marker" value: { string_value: "${join(markerDir, 'finalized.txt')}" } }`,
    ].join('\n'),
    'user_model/3/model.py': USER_MODEL,
    'batcher/config.pbtxt': [
      'backend: "python"', 'max_batch_size: 4',
      'input [ { name: "X" data_type: TYPE_INT32 dims: [ 1 ] } ]', 'output [ { name: "N" data_type: TYPE_INT32 dims: [ 1 ] } ]',
      'dynamic_batching { preferred_batch_size: [ 4 ] max_queue_delay_microseconds: 10000000 }',
    ].join('\n'),
    'batcher/1/model.py': BATCH_MODEL,
  });
});
after(async () => {
  await h?.close();
  rmSync(markerDir, { recursive: true, force: true });
});

function infoOf(outputs: readonly { name: string; data: Uint8Array }[]): any {
  const info = outputs.find((o) => o.name === 'INFO')!;
  return JSON.parse(Buffer.from(decodeBytesElements(info.data)[0]!).toString('utf8'));
}

test('typical model.py: outputs, initialize args, request fields, BYTES both ways', async () => {
  const res = await h.server.infer({
    modelName: 'user_model', id: 'req-7', correlationId: 42n, flags: 1, parameters: { temperature: 0.5, tag: 'x' },
    inputs: [
      { name: 'X', datatype: 'FP32', shape: [1, 2], data: f32([1.5, -0]) },
      { name: 'WORDS', datatype: 'BYTES', shape: [1, 2], data: encodeBytesElements([Buffer.from('abc'), Buffer.from([0, 1, 2, 255])]) },
    ],
  });
  assert.equal(res.error, undefined);
  const out = res.outputs.find((o) => o.name === 'OUT')!;
  assert.deepEqual([out.datatype, out.shape, readF32(out.data)], ['FP32', [1, 2], [3, -0]]);
  const reversed = res.outputs.find((o) => o.name === 'REVERSED')!;
  assert.deepEqual(reversed.shape, [1, 2]);
  assert.deepEqual(decodeBytesElements(reversed.data).map((b) => [...b]), [[...Buffer.from('cba')], [255, 2, 1, 0]]);
  const info = infoOf(res.outputs);
  assert.deepEqual(info, {
    request_id: 'req-7', correlation_id: 42, flags: 1, parameters: { temperature: 0.5, tag: 'x' },
    requested: ['OUT', 'INFO', 'REVERSED'],
    args: {
      model_instance_kind: 'CPU', model_instance_name: 'user_model_0', model_instance_device_id: '0',
      model_repository: join(h.repoDir, 'user_model'), model_version: '3', model_name: 'user_model',
    },
    config_name: 'user_model', dtype: 11, x_dtype: 'float32', shape: [1, 2],
  });
  assert.ok(h.logs.some((l) => l.includes('user_model_0: user_model initialized')), h.logs.join(''));
});

test('string correlation id and no parameters reach the model as Triton reports them', async () => {
  const res = await h.server.infer({
    modelName: 'user_model', correlationId: 'seq-a', outputs: [{ name: 'INFO' }],
    inputs: [{ name: 'X', datatype: 'FP32', shape: [1, 2], data: f32([1, 2]) }],
  });
  assert.deepEqual(res.outputs.map((o) => o.name), ['INFO']);
  const info = infoOf(res.outputs);
  assert.deepEqual([info.request_id, info.correlation_id, info.parameters, info.requested], ['', 'seq-a', {}, ['INFO']]);
});

test('InferenceResponse(error=TritonError(..., INVALID_ARG)) is that request\'s error: HTTP 400 with the message', async () => {
  const r = await inferJson(h.httpPort, 'user_model', { inputs: [{ name: 'X', shape: [1, 2], datatype: 'FP32', data: [1, -1] }] });
  assert.equal(r.status, 400);
  assert.deepEqual(JSON.parse(r.text), { error: 'negative input' });
});

test('raising TritonError in execute fails the request with Triton\'s message; the traceback goes to the log', async () => {
  const r = await inferJson(h.httpPort, 'user_model', { inputs: [{ name: 'X', shape: [1, 2], datatype: 'FP32', data: [6, 7] }] });
  assert.equal(r.status, 500);
  assert.deepEqual(JSON.parse(r.text), {
    error: "Failed to process the request(s) for model 'user_model_0', message: TritonError: unlucky input",
  });
  const line = h.logs.find((l) => l.includes('Traceback (most recent call last)'));
  assert.ok(line !== undefined && line.includes('model.py') && line.includes('unlucky input'), h.logs.join(''));
  // The model keeps serving.
  const ok = await inferJson(h.httpPort, 'user_model', { inputs: [{ name: 'X', shape: [1, 2], datatype: 'FP32', data: [1, 1] }] });
  assert.equal(ok.status, 200);
});

test('dynamic batching hands several requests to one (async) execute', async () => {
  const one = (v: number) => h.server.infer({
    modelName: 'batcher', inputs: [{ name: 'X', datatype: 'INT32', shape: [1, 1], data: new Uint8Array(new Int32Array([v]).buffer) }],
  });
  const results = await Promise.all([one(1), one(2), one(3), one(4)]);
  for (const r of results) {
    assert.equal(r.error, undefined);
    assert.deepEqual([...new Int32Array(r.outputs[0]!.data.slice().buffer)], [4]);
  }
});

test('finalize() runs when the model is unloaded (server shutdown)', async () => {
  const marker = join(markerDir, 'finalized.txt');
  assert.equal(existsSync(marker), false);
  await h.close();
  assert.equal(readFileSync(marker, 'utf8'), 'finalized');
  assert.ok(h.logs.some((l) => l.includes('user_model finalize')));
  h = undefined as unknown as PythonHarness;
});
