/**
 * Large inputs reach a Python model as views of the shared-memory pages the server wrote (no copy in the stub),
 * a region stays untouched while the model still holds a view of it, and released regions are reused, so the
 * file does not grow with the number of requests.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startPython, type PythonHarness } from './support.js';

// Y = [input backed by an mmap, sum of the input kept from the previous request (-1 if none), its sum
// back then, size of the server -> stub file (fd 4)]. KEEP keeps this request's input for the next one.
const MODEL = `
import mmap, os
import numpy as np
import triton_python_backend_utils as pb_utils

def backed_by_mmap(a):
    while isinstance(a, np.ndarray):
        a = a.base
    return isinstance(a.obj if isinstance(a, memoryview) else a, mmap.mmap)

class TritonPythonModel:
    def initialize(self, args):
        self.kept = None
    def execute(self, requests):
        out = []
        for r in requests:
            x = pb_utils.get_input_tensor_by_name(r, "X").as_numpy()
            keep = bool(pb_utils.get_input_tensor_by_name(r, "KEEP").as_numpy()[0])
            old_now, old_then = (-1.0, -1.0) if self.kept is None else (float(self.kept[0].sum()), self.kept[1])
            self.kept = (x, float(x.sum())) if keep else None
            y = np.array([float(backed_by_mmap(x)), old_now, old_then, float(os.fstat(4).st_size)], dtype=np.float64)
            out.append(pb_utils.InferenceResponse([pb_utils.Tensor("Y", y)]))
        return out
`;

let h: PythonHarness;
before(async () => {
  h = await startPython({
    'mapped/config.pbtxt': 'backend: "python"\nmax_batch_size: 0\n' +
      'input [ { name: "X" data_type: TYPE_FP32 dims: [ -1 ] }, { name: "KEEP" data_type: TYPE_BOOL dims: [ 1 ] } ]\n' +
      'output [ { name: "Y" data_type: TYPE_FP64 dims: [ 4 ] } ]',
    'mapped/1/model.py': MODEL,
  });
});
after(async () => {
  await h?.close();
});

const N = 256 * 1024; // 1 MiB of FP32
async function call(fill: number, keep: boolean): Promise<number[]> {
  const x = new Float32Array(N).fill(fill);
  const r = await h.server.infer({
    modelName: 'mapped',
    inputs: [
      { name: 'X', datatype: 'FP32', shape: [N], data: new Uint8Array(x.buffer) },
      { name: 'KEEP', datatype: 'BOOL', shape: [1], data: new Uint8Array([keep ? 1 : 0]) },
    ],
  });
  const d = r.outputs[0]!.data;
  return [...new Float64Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength))];
}

test('a large input is a view of the mapped shared memory; a kept view is never overwritten', async () => {
  const first = await call(1, true);
  assert.equal(first[0], 1, 'input backed by the mmap of the server -> stub file');
  // Ten more requests while the model holds the first input: its bytes stay as they were.
  for (let i = 2; i <= 11; i++) {
    const r = await call(i, i === 11);
    assert.equal(r[1], r[2], `request ${i}: the kept input changed under the model`);
    if (i === 2) assert.equal(r[1], N * 1);
  }
});

test('released regions are reused: the file stays within a few bodies over many requests', async () => {
  let largest = 0;
  for (let i = 0; i < 30; i++) largest = Math.max(largest, (await call(i, false))[3]!);
  assert.ok(largest <= 3 * 4 * N, `server -> stub file grew to ${largest} bytes for ${4 * N}-byte bodies`);
});
