// bench/python-backend: what the Python backend's stub hop costs. One in-process server (sources,
// no build needed), one request at a time through `server.infer`, median of N runs after a warm-up,
// for a 16-float and a 4 MB FP32 tensor through: an identity model.py (stub process; 4 MB bodies go
// through /dev/shm files, small ones through the socket), the built-in JS identity backend (no hop:
// the baseline) and the ONNX identity_fp32 example (worker-thread hop); then the same tensors through
// a model.py that passes them on to the JS identity model with BLS (`exec()`: tensors go to the server
// and back, a second hop each way). Prints markdown tables.
// Run by bench/python-backend/run.mjs through tsx. Env: BENCH_SMALL_RUNS, BENCH_LARGE_RUNS.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInferenceServer } from '../../packages/server/src/index.js';
import { identityBenchRepo } from '../lib/identity-repo.js';

const IDENTITY_PY = `import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        return [pb_utils.InferenceResponse([pb_utils.Tensor("OUTPUT0", pb_utils.get_input_tensor_by_name(r, "INPUT0").as_numpy())])
                for r in requests]
`;

const IDENTITY_BLS = `import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        responses = []
        for r in requests:
            out = pb_utils.InferenceRequest(model_name="identity_js", inputs=[pb_utils.get_input_tensor_by_name(r, "INPUT0")],
                                            requested_output_names=["OUTPUT0"]).exec()
            responses.append(pb_utils.InferenceResponse(error=out.error()) if out.has_error()
                             else pb_utils.InferenceResponse(out.output_tensors()))
        return responses
`;

const PY_CONFIG = 'backend: "python"\nmax_batch_size: 8\ninput [{ name: "INPUT0" data_type: TYPE_FP32 dims: [-1] }]\n' +
  'output [{ name: "OUTPUT0" data_type: TYPE_FP32 dims: [-1] }]\ninstance_group [{ count: 1 kind: KIND_CPU }]\n';

const repo = identityBenchRepo();
mkdirSync(join(repo, 'identity_py', '1'), { recursive: true });
writeFileSync(join(repo, 'identity_py', 'config.pbtxt'), PY_CONFIG);
writeFileSync(join(repo, 'identity_py', '1', 'model.py'), IDENTITY_PY);
mkdirSync(join(repo, 'identity_bls', '1'), { recursive: true });
writeFileSync(join(repo, 'identity_bls', 'config.pbtxt'), PY_CONFIG);
writeFileSync(join(repo, 'identity_bls', '1', 'model.py'), IDENTITY_BLS);
const { server } = await createInferenceServer({ modelRepository: repo });

/** Median µs of `runs` round trips of a [1, floats] FP32 tensor through `model`. */
async function median(model: string, floats: number, runs: number): Promise<number> {
  const data = new Uint8Array(new Float32Array(floats).fill(1.5).buffer);
  const once = async (): Promise<number> => {
    const t0 = process.hrtime.bigint();
    const r = await server.infer({ modelName: model, inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, floats], data }] });
    const t1 = process.hrtime.bigint();
    if (r.outputs[0]?.data.byteLength !== floats * 4) throw new Error(`${model}: wrong output size`);
    return Number(t1 - t0) / 1000;
  };
  for (let i = 0; i < Math.min(50, runs); i++) await once();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await once());
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const rows: string[] = [];
const blsRows: string[] = [];
try {
  const cases = [
    ['16 × FP32', 16, Number(process.env.BENCH_SMALL_RUNS ?? 2000), 150],
    ['4 MB FP32', 1 << 20, Number(process.env.BENCH_LARGE_RUNS ?? 200), 3000],
  ] as const;
  for (const [label, floats, runs, goalUs] of cases) {
    const py = await median('identity_py', floats, runs);
    const js = await median('identity_js', floats, runs);
    const ort = await median('identity_fp32', floats, runs);
    rows.push(`| ${label} | ${py.toFixed(0)} | ${js.toFixed(0)} | **${(py - js).toFixed(0)}** (goal ≤ ${goalUs}) | ${ort.toFixed(0)} | ${runs} |`);
    const bls = await median('identity_bls', floats, runs);
    blsRows.push(`| ${label} | ${bls.toFixed(0)} | ${py.toFixed(0)} | **${(bls - py).toFixed(0)}** | ${runs} |`);
  }
} finally {
  await server.shutdown();
  rmSync(repo, { recursive: true, force: true });
}
console.log('In-process `server.infer`, one request at a time, median µs per round trip.\n');
console.log('| tensor | Python identity | JS identity | Python adds | ONNX identity | runs |');
console.log('|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
console.log('\nBLS: a model.py passing the tensor on to the JS identity model with `exec()`, median µs.\n');
console.log('| tensor | Python BLS -> JS identity | Python identity | BLS call adds | runs |');
console.log('|---|---|---|---|---|');
for (const row of blsRows) console.log(row);
