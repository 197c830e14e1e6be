/**
 * Failure paths of the Python backend, as Triton's Python backend behaves: exceptions and wrong
 * response counts fail every request of the batch; a stub that dies (os._exit, SIGKILL) fails only its
 * in-flight requests, is restarted, and the model keeps serving; no stub outlives the server; a
 * model whose initialize() raises fails to load with the exception in its reason.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createInferenceServer, type InferenceResponse } from '../../src/index.js';
import { makeRepo } from '../support/temp-repo.js';
import { processExists, startPython, type PythonHarness } from './support.js';

/** MODE decides: 0 ok (OUT = pid), 1 raise, 2 too few responses, 3 not a list, 4 os._exit, 5 sleep 30 s. */
const FAULTY_MODEL = `
import os
import time

import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        mode = int(pb_utils.get_input_tensor_by_name(requests[0], "MODE").as_numpy()[0])
        if mode == 1:
            raise ValueError("mode one is broken")
        if mode == 2:
            return []
        if mode == 3:
            return "not a list"
        if mode == 4:
            os._exit(3)
        if mode == 5:
            time.sleep(30)
        return [pb_utils.InferenceResponse([pb_utils.Tensor("OUT", np.array([os.getpid()], dtype=np.int32))]) for _ in requests]
`;

const CONFIG = [
  'backend: "python"', 'max_batch_size: 0',
  'input [ { name: "MODE" data_type: TYPE_INT32 dims: [ 1 ] } ]', 'output [ { name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] } ]',
].join('\n');

let h: PythonHarness;

before(async () => {
  h = await startPython({ 'faulty/config.pbtxt': CONFIG, 'faulty/1/model.py': FAULTY_MODEL });
});
after(async () => {
  await h?.close();
});

function run(mode: number): Promise<InferenceResponse> {
  return h.server.infer({ modelName: 'faulty', inputs: [{ name: 'MODE', datatype: 'INT32', shape: [1], data: new Uint8Array(new Int32Array([mode]).buffer) }] });
}

async function pid(): Promise<number> {
  const r = await run(0);
  assert.equal(r.error, undefined, r.error?.message);
  return new Int32Array(r.outputs[0]!.data.slice().buffer)[0]!;
}

async function rejection(mode: number): Promise<{ code: string; message: string }> {
  try {
    const r = await run(mode);
    throw new Error(`expected an error, got ${JSON.stringify(r.outputs)}`);
  } catch (err) {
    return err as { code: string; message: string };
  }
}

test('an exception in execute: INTERNAL with Triton\'s wording, traceback in the server log', async () => {
  const err = await rejection(1);
  assert.equal(err.code, 'INTERNAL');
  assert.equal(err.message, "Failed to process the request(s) for model 'faulty_0', message: ValueError: mode one is broken");
  assert.ok(h.logs.some((l) => l.includes('Traceback') && l.includes('ValueError: mode one is broken')));
});

test('a wrong number of responses, or no list, fails the request', async () => {
  assert.equal((await rejection(2)).message,
    'Number of InferenceResponse objects do not match number of InferenceRequest objects. ' +
    'InferenceRequest(s) size is:1, and InferenceResponse(s) size is:0');
  assert.equal((await rejection(3)).message, 'Expected a list in the execute return, got str');
});

test('a stub that calls os._exit fails its request, is restarted, and the model keeps serving', async () => {
  const before = await pid();
  const err = await rejection(4);
  assert.equal(err.code, 'INTERNAL');
  assert.equal(err.message,
    "Failed to process the request(s) for model instance 'faulty_0', message: Stub process 'faulty_0' is not healthy (exited with code 3).");
  const after = await pid();
  assert.notEqual(after, before);
  assert.equal(processExists(before), false);
});

test('a stub killed mid-request: that request fails, the next ones succeed, no stub survives shutdown', async () => {
  const first = await pid();
  const slow = run(5).then(() => undefined, (e: { message: string }) => e);
  await sleep(200);
  process.kill(first, 'SIGKILL');
  const err = await slow;
  assert.match(err?.message ?? '', /Stub process 'faulty_0' is not healthy \(killed by signal SIGKILL\)/);
  const second = await pid();
  assert.notEqual(second, first);
  assert.equal(await pid(), second);
  await h.close();
  h = undefined as unknown as PythonHarness;
  for (let i = 0; i < 50 && processExists(second); i++) await sleep(20);
  assert.equal(processExists(second), false, 'stub process left behind after shutdown');
});

test('initialize() raising fails the load with the exception in the reason; other models load', async () => {
  const repo = makeRepo({
    'broken/config.pbtxt': CONFIG,
    'broken/1/model.py': 'class TritonPythonModel:\n    def initialize(self, args):\n        raise RuntimeError("no weights here")\n    def execute(self, requests):\n        return []\n',
    'missing/config.pbtxt': CONFIG,
    'missing/1/': null,
    'ok/config.pbtxt': CONFIG,
    'ok/1/model.py': FAULTY_MODEL,
  });
  const { server, failedModels } = await createInferenceServer({ modelRepository: repo.dir, exitOnError: false });
  try {
    assert.deepEqual([...failedModels].sort(), ['broken', 'missing']);
    const index = server.repositoryIndex();
    const reason = (name: string) => index.find((e) => e.name === name)?.reason ?? '';
    assert.equal(reason('broken'), "failed to initialize Python model instance 'broken_0': RuntimeError: no weights here");
    assert.match(reason('missing'), /unable to find '.*missing\/1\/model\.py'/);
    assert.equal(index.find((e) => e.name === 'ok')?.state, 'READY');
  } finally {
    await server.shutdown();
    repo.cleanup();
  }
});
