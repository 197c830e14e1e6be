/**
 * Tensors from torch in the Python backend: `pb_utils.Tensor.from_dlpack` / `to_dlpack` / `is_cpu`, torch
 * tensors in an InferenceResponse and in a BLS request, and FORCE_CPU_ONLY_INPUT_TENSORS as Triton reads it.
 * On the CPU (Debian's python3-torch); a tensor on a non-CPU device is stood in for by torch's "meta" device,
 * which has a device but no bytes. Needs torch for the backend's interpreter (`npm test` installs it).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { f32, readF32, startPython, type PythonHarness } from './support.js';

const CONFIG = (name: string, extra = ''): string => `name: "${name}"\nbackend: "python"\nmax_batch_size: 0\n${extra}` +
  'input [ { name: "X" data_type: TYPE_FP32 dims: [ 4 ] } ]\n' +
  'output [ { name: "Y" data_type: TYPE_FP32 dims: [ 4 ] }, { name: "CHECKS" data_type: TYPE_BOOL dims: [ -1 ] } ]';

// Every check the model can make about where memory lives, returned as CHECKS (a torch bool tensor itself).
const TORCH_MODEL = `
import numpy as np
import torch
import triton_python_backend_utils as pb_utils

class TritonPythonModel:
    def execute(self, requests):
        out = []
        for r in requests:
            x = pb_utils.get_input_tensor_by_name(r, "X")
            tx = torch.utils.dlpack.from_dlpack(x.to_dlpack())
            checks = [x.is_cpu(), tx.data_ptr() == x.as_numpy().ctypes.data]
            y = torch.sqrt(tx) * 2
            ty = pb_utils.Tensor.from_dlpack("Y", y)
            # The pb_utils tensor is a view of y's memory: no copy either way.
            checks.append(ty.as_numpy().ctypes.data == y.data_ptr())
            checks.append(ty.is_cpu() and ty.triton_dtype() == pb_utils.numpy_to_triton_type(np.float32))
            # Through a bare capsule too, and back into numpy.
            back = pb_utils.Tensor.from_dlpack("B", torch.utils.dlpack.to_dlpack(y)).as_numpy()
            checks.append(bool(np.array_equal(back, y.numpy())))
            # A tensor that requires grad is handed over detached.
            g = pb_utils.Tensor.from_dlpack("G", torch.ones(2, requires_grad=True))
            checks.append(g.as_numpy().tolist() == [1.0, 1.0])
            # A tensor on another device stays there: not CPU, no numpy view, shape and type still known.
            m = pb_utils.Tensor.from_dlpack("M", torch.empty(3, 2, device="meta"))
            checks.append(not m.is_cpu())
            try:
                m.as_numpy()
                checks.append(False)
            except pb_utils.TritonModelException as e:
                checks.append(str(e) == "Tensor is stored in GPU and cannot be converted to NumPy.")
            checks.append(m.shape() == [3, 2] and m.triton_dtype() == pb_utils.numpy_to_triton_type(np.float32))
            # BLS with a torch-made input: the callee sees the values.
            req = pb_utils.InferenceRequest(model_name="double", requested_output_names=["Y"],
                                            inputs=[pb_utils.Tensor.from_dlpack("X", tx + 1)])
            resp = req.exec()
            checks.append(not resp.has_error() and
                          pb_utils.get_output_tensor_by_name(resp, "Y").as_numpy().tolist() == ((tx + 1) * 2).tolist())
            c = pb_utils.Tensor.from_dlpack("CHECKS", torch.tensor(checks, dtype=torch.bool))
            out.append(pb_utils.InferenceResponse([ty, c]))
        return out
`;

const DOUBLE_MODEL = `
import triton_python_backend_utils as pb_utils

class TritonPythonModel:
    def execute(self, requests):
        return [pb_utils.InferenceResponse([pb_utils.Tensor("Y", pb_utils.get_input_tensor_by_name(r, "X").as_numpy() * 2)])
                for r in requests]
`;

let h: PythonHarness;

before(async () => {
  const force = (v: string): string => `parameters: { key: "FORCE_CPU_ONLY_INPUT_TENSORS" value: { string_value: "${v}" } }\n`;
  h = await startPython({
    'torchy/config.pbtxt': CONFIG('torchy', force('no')),
    'torchy/1/model.py': TORCH_MODEL,
    'double/config.pbtxt': 'name: "double"\nbackend: "python"\nmax_batch_size: 0\n' +
      'input [ { name: "X" data_type: TYPE_FP32 dims: [ 4 ] } ]\noutput [ { name: "Y" data_type: TYPE_FP32 dims: [ 4 ] } ]',
    'double/1/model.py': DOUBLE_MODEL,
    'forced/config.pbtxt': CONFIG('forced', force('yes')),
    'forced/1/model.py': TORCH_MODEL,
    'bad_force/config.pbtxt': CONFIG('bad_force', force('maybe')),
    'bad_force/1/model.py': TORCH_MODEL,
  }, { exitOnError: false });
});
after(async () => {
  await h?.close();
});

test('torch tensors in and out through DLPack without copies; a device tensor stays off the CPU; BLS input from torch', async () => {
  for (const model of ['torchy', 'forced']) {
    const r = await h.server.infer({ modelName: model, inputs: [{ name: 'X', datatype: 'FP32', shape: [4], data: new Uint8Array(f32([1, 4, 9, 16])) }] });
    const y = r.outputs.find((o) => o.name === 'Y')!;
    const checks = r.outputs.find((o) => o.name === 'CHECKS')!;
    assert.deepEqual(readF32(y.data), [2, 4, 6, 8]);
    assert.equal(checks.datatype, 'BOOL');
    assert.deepEqual([...checks.data], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1], `${model}: every check holds`);
  }
});

test("FORCE_CPU_ONLY_INPUT_TENSORS: yes/no logged as Triton does, another value refuses the model", () => {
  assert.ok(h.logs.some((l) => l.includes('Forcing CPU only input tensors.')));
  assert.ok(h.logs.some((l) => l.includes('Input tensors can be both in CPU and GPU. FORCE_CPU_ONLY_INPUT_TENSORS is off.')));
  const reason = h.server.repositoryIndex().find((e) => e.name === 'bad_force')?.reason ?? '';
  assert.equal(reason, "Incorrect value for FORCE_CPU_ONLY_INPUT_TENSORS: maybe'");
});
