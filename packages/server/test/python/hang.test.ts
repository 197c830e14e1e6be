/**
 * stub-timeout-seconds: a stub whose health check goes unanswered (here: stuck in C code holding the
 * GIL) is killed, its request fails and the next one succeeds on a new stub; a long execute that lets
 * the stub's reader thread run is not a hang.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { InferenceResponse } from '../../src/index.js';
import { startPython, type PythonHarness } from './support.js';

/** MODE: 0 answers OUT = pid; 1 calls libc sleep(30) holding the GIL; 2 time.sleep(3) (GIL released). */
const MODEL = `
import ctypes
import os
import time

import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        mode = int(pb_utils.get_input_tensor_by_name(requests[0], "MODE").as_numpy()[0])
        if mode == 1:
            ctypes.PyDLL(None).sleep(30)
        if mode == 2:
            time.sleep(3)
        return [pb_utils.InferenceResponse([pb_utils.Tensor("OUT", np.array([os.getpid()], dtype=np.int32))]) for _ in requests]
`;

let h: PythonHarness;

before(async () => {
  h = await startPython({
    'stuck/config.pbtxt': 'backend: "python"\nmax_batch_size: 0\ninput [ { name: "MODE" data_type: TYPE_INT32 dims: [ 1 ] } ]\noutput [ { name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] } ]',
    'stuck/1/model.py': MODEL,
  }, { backendConfig: ['python,stub-timeout-seconds=2'] });
});
after(async () => {
  await h?.close();
});

function run(mode: number): Promise<InferenceResponse> {
  return h.server.infer({ modelName: 'stuck', inputs: [{ name: 'MODE', datatype: 'INT32', shape: [1], data: new Uint8Array(new Int32Array([mode]).buffer) }] });
}

const pidOf = (r: InferenceResponse): number => new Int32Array(r.outputs[0]!.data.slice().buffer)[0]!;

test('a long execute that releases the GIL is not a hang', async () => {
  const first = pidOf(await run(0));
  assert.equal(pidOf(await run(2)), first);
});

test('a stub stuck holding the GIL past stub-timeout-seconds is killed and replaced', async () => {
  const first = pidOf(await run(0));
  await assert.rejects(run(1), (err: Error) => {
    assert.match(err.message, /Stub process 'stuck_0' is not healthy \(killed by signal SIGKILL\)/);
    return true;
  });
  assert.ok(h.logs.some((l) => l.includes("Stub process 'stuck_0' did not answer a health check within 2 s; killing it")));
  const second = pidOf(await run(0));
  assert.notEqual(second, first);
});
