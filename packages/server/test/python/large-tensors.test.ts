/**
 * Bodies of 64 KiB and more leave the socket for /dev/shm files (stub/_inferd_wire.py): 4 MB tensors
 * both ways keep their bytes, and a decoupled model sending large responses from several threads at
 * once (regions of the stub -> server file in use together) delivers each intact.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { InferenceResponse } from '../../src/index.js';
import { startPython, type PythonHarness } from './support.js';

const REVERSE_MODEL = `
import numpy as np
import triton_python_backend_utils as pb_utils

class TritonPythonModel:
    def execute(self, requests):
        out = []
        for r in requests:
            x = pb_utils.get_input_tensor_by_name(r, "X").as_numpy()
            out.append(pb_utils.InferenceResponse([pb_utils.Tensor("Y", x[..., ::-1] + np.float32(1))]))
        return out
`;

const FANOUT_MODEL = `
import threading
import numpy as np
import triton_python_backend_utils as pb_utils

class TritonPythonModel:
    def execute(self, requests):
        for r in requests:
            n = int(pb_utils.get_input_tensor_by_name(r, "N").as_numpy()[0])
            sender = r.get_response_sender()
            done = []
            lock = threading.Lock()

            def send(i):
                sender.send(pb_utils.InferenceResponse([pb_utils.Tensor("Y", np.full(300000, i, dtype=np.int32))]))
                with lock:
                    done.append(i)
                    if len(done) == n:
                        sender.send(flags=pb_utils.TRITONSERVER_RESPONSE_COMPLETE_FINAL)

            for i in range(n):
                threading.Thread(target=send, args=(i,)).start()
        return None
`;

let h: PythonHarness;

before(async () => {
  h = await startPython({
    'reverse/config.pbtxt': 'backend: "python"\nmax_batch_size: 0\ninput [ { name: "X" data_type: TYPE_FP32 dims: [ -1 ] } ]\noutput [ { name: "Y" data_type: TYPE_FP32 dims: [ -1 ] } ]',
    'reverse/1/model.py': REVERSE_MODEL,
    'fanout/config.pbtxt': 'backend: "python"\nmax_batch_size: 0\nmodel_transaction_policy { decoupled: true }\n' +
      'input [ { name: "N" data_type: TYPE_INT32 dims: [ 1 ] } ]\noutput [ { name: "Y" data_type: TYPE_INT32 dims: [ -1 ] } ]',
    'fanout/1/model.py': FANOUT_MODEL,
  });
});
after(async () => {
  await h?.close();
});

test('4 MB in, 4 MB out, twice in a row, bytes intact', async () => {
  for (const seed of [0, 7]) {
    const n = 1 << 20;
    const x = new Float32Array(n).map((_, i) => (i * 31 + seed) % 1000);
    const r = await h.server.infer({ modelName: 'reverse', inputs: [{ name: 'X', datatype: 'FP32', shape: [n], data: new Uint8Array(x.buffer) }] });
    const y = new Float32Array(r.outputs[0]!.data.slice().buffer);
    assert.equal(y.length, n);
    for (const i of [0, 1, 12345, n - 1]) assert.equal(y[i], x[n - 1 - i]! + 1);
  }
});

test('large decoupled responses from concurrent sender threads all arrive intact', async () => {
  const responses: InferenceResponse[] = [];
  await new Promise<void>((resolve) => {
    h.server.inferStream({ modelName: 'fanout', inputs: [{ name: 'N', datatype: 'INT32', shape: [1], data: new Uint8Array(new Int32Array([6]).buffer) }] }, (r) => {
      responses.push(r);
      if (r.final) resolve();
    });
  });
  const data = responses.filter((r) => r.outputs.length > 0);
  assert.equal(data.length, 6);
  const seen = data.map((r) => {
    const v = new Int32Array(r.outputs[0]!.data.slice().buffer);
    assert.equal(v.length, 300000);
    assert.ok(v.every((e) => e === v[0]), 'one value per response');
    return v[0];
  });
  assert.deepEqual(seen.sort(), [0, 1, 2, 3, 4, 5]);
});
