/**
 * Not a test: prints the Python backend's round-trip cost (`npx tsx packages/server/test/python/measure-transport.ts`).
 * One in-process server, one request at a time through `server.infer`, median of N runs, for a 16-float
 * and a 4 MB FP32 tensor through: an identity model.py (stub process, framed socket), the built-in JS
 * `identity` backend (no process hop: the baseline), and the ONNX identity_fp32 example (worker thread).
 * bench/python-backend (a later slice) is where this belongs once it exists.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInferenceServer } from '../../src/index.js';
import { makeRepo } from '../support/temp-repo.js';
import { EXAMPLES } from './support.js';

const IDENTITY_PY = `
import triton_python_backend_utils as pb_utils

class TritonPythonModel:
    def execute(self, requests):
        return [pb_utils.InferenceResponse([pb_utils.Tensor("OUTPUT0", pb_utils.get_input_tensor_by_name(r, "INPUT0").as_numpy())])
                for r in requests]
`;
const io = 'input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ -1 ] } ]\noutput [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ -1 ] } ]';

const repo = makeRepo({
  'py_identity/config.pbtxt': `backend: "python"\nmax_batch_size: 8\n${io}`,
  'py_identity/1/model.py': IDENTITY_PY,
  'js_identity/config.pbtxt': `backend: "identity"\nmax_batch_size: 8\n${io}`,
  'js_identity/1/': null,
  'identity_fp32/config.pbtxt': readFileSync(join(EXAMPLES, 'identity_fp32/config.pbtxt')),
  'identity_fp32/1/model.onnx': readFileSync(join(EXAMPLES, 'identity_fp32/1/model.onnx')),
});
const { server } = await createInferenceServer({ modelRepository: repo.dir });

async function median(model: string, floats: number, runs: number): Promise<number> {
  const data = new Uint8Array(new Float32Array(floats).fill(1.5).buffer);
  const once = async (): Promise<number> => {
    const t0 = process.hrtime.bigint();
    const r = await server.infer({ modelName: model, inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, floats], data }] });
    const t1 = process.hrtime.bigint();
    if (r.outputs[0]?.data.byteLength !== floats * 4) throw new Error(`${model}: wrong output`);
    return Number(t1 - t0) / 1000;
  };
  for (let i = 0; i < Math.min(50, runs); i++) await once();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await once());
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

try {
  for (const [label, floats, runs] of [['16 floats', 16, 2000], ['4 MB', 1 << 20, 200]] as const) {
    const py = await median('py_identity', floats, runs);
    const js = await median('js_identity', floats, runs);
    const ort = await median('identity_fp32', floats, runs);
    console.log(`${label}: python ${py.toFixed(0)} µs, JS identity ${js.toFixed(0)} µs (python adds ${(py - js).toFixed(0)} µs), ONNX identity ${ort.toFixed(0)} µs  (median of ${runs})`);
  }
} finally {
  await server.shutdown();
  repo.cleanup();
}
