/**
 * is_ready() (spec §10): model-ready consults the model's own probe (sync or async); a model without
 * one is ready while its stub runs; a probe that raises means not ready.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from '../support/http-harness.js';
import { startPython, type PythonHarness } from './support.js';

/** SET [1] INT32: 1 = ready, 0 = not ready, 2 = is_ready raises. */
const PROBED_MODEL = `
import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def initialize(self, args):
        self.state = 1

    async def is_ready(self):
        if self.state == 2:
            raise RuntimeError("probe broke")
        return self.state == 1

    def execute(self, requests):
        responses = []
        for r in requests:
            self.state = int(pb_utils.get_input_tensor_by_name(r, "SET").as_numpy()[0])
            responses.append(pb_utils.InferenceResponse([pb_utils.Tensor("OUT", np.array([self.state], np.int32))]))
        return responses
`;

const CONFIG = 'backend: "python"\nmax_batch_size: 0\ninput [ { name: "SET" data_type: TYPE_INT32 dims: [ 1 ] } ]\noutput [ { name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] } ]';

let h: PythonHarness;

before(async () => {
  h = await startPython({
    'probed/config.pbtxt': CONFIG, 'probed/1/model.py': PROBED_MODEL,
    'plain/config.pbtxt': CONFIG, 'plain/1/model.py': PROBED_MODEL.replace('async def is_ready', 'async def not_a_probe'),
  });
});
after(async () => {
  await h?.close();
});

async function set(state: number): Promise<void> {
  const r = await h.server.infer({ modelName: 'probed', inputs: [{ name: 'SET', datatype: 'INT32', shape: [1], data: new Uint8Array(new Int32Array([state]).buffer) }] });
  assert.equal(r.error, undefined);
}

test('model ready follows the model\'s async is_ready(), over HTTP too', async () => {
  assert.equal(await h.server.modelReady('probed'), true);
  assert.equal((await request(h.httpPort, 'GET', '/v2/models/probed/ready')).status, 200);
  await set(0);
  assert.equal(await h.server.modelReady('probed'), false);
  assert.equal((await request(h.httpPort, 'GET', '/v2/models/probed/ready')).status, 400);
  await set(2);
  assert.equal(await h.server.modelReady('probed'), false);
  assert.ok(h.logs.some((l) => l.includes('RuntimeError: probe broke')));
  await set(1);
  assert.equal(await h.server.modelReady('probed'), true);
});

test('a model without is_ready() is ready', async () => {
  assert.equal(await h.server.modelReady('plain'), true);
});
