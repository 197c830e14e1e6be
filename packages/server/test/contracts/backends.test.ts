/**
 * The backend contract (backend-contract.ts) run against every backend inferd has: the built-in JS
 * identity and repeat backends, ONNX Runtime on the session pool and inline, the Python backend (a real
 * stub process), a backend object passed to createInferenceServer, and a plug-in module from a backend
 * directory.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend } from '../../src/index.js';
import { pythonInterpreter } from '../../src/backends/python/interpreter.js';
import { identityModel } from '../../../../scripts/onnx-builder.js';
import { pluginBackend } from '../support/plugin-backend.js';
import { backendContract } from './backend-contract.js';

const io = (batched: boolean, extra = ''): string => [
  `max_batch_size: ${batched ? 4 : 0}`,
  `input [ { name: "INPUT0" data_type: TYPE_INT32 dims: [ 2 ] } ]`,
  `output [ { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 2 ] } ]`,
  'instance_group [ { count: 2 kind: KIND_CPU } ]', extra,
].join('\n');

const same = (v: number): number[] => [v, v + 1];
const plusOne = (v: number): number[] => [v + 1, v + 2];

backendContract('identity', {
  files: { 'm/config.pbtxt': `backend: "identity"\n${io(true)}`, 'm/1/': null }, batched: true, expected: same,
});

for (const mode of ['pool', 'inline']) {
  backendContract(`onnxruntime (${mode})`, {
    files: {
      'm/config.pbtxt': `backend: "onnxruntime"\n${io(true, `parameters [ { key: "inferd.execution" value: { string_value: "${mode}" } } ]`)}`,
      'm/1/model.onnx': identityModel('INT32', ['N', 2]),
    },
    batched: true, expected: same,
  });
}

backendContract('python', {
  files: {
    'm/config.pbtxt': `backend: "python"\n${io(true)}`,
    'm/1/model.py': [
      'import triton_python_backend_utils as pb_utils',
      'class TritonPythonModel:',
      '    def execute(self, requests):',
      '        out = []',
      '        for r in requests:',
      '            x = pb_utils.get_input_tensor_by_name(r, "INPUT0").as_numpy()',
      '            out.append(pb_utils.InferenceResponse([pb_utils.Tensor("OUTPUT0", x + 1)]))',
      '        return out',
    ].join('\n'),
  },
  batched: true, expected: plusOne,
});

backendContract('repeat (decoupled: one response per element)', {
  files: {
    'm/config.pbtxt': [
      'backend: "repeat"', 'max_batch_size: 0', 'model_transaction_policy { decoupled: true }',
      'input [ { name: "IN" data_type: TYPE_INT32 dims: [ -1 ] } ]',
      'output [ { name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] }, { name: "IDX" data_type: TYPE_UINT32 dims: [ 1 ] } ]',
    ].join('\n'),
    'm/1/': null,
  },
  batched: false, decoupled: true, expected: same, input: 'IN', output: 'OUT',
});

/** TorchScript `INPUT0 + 1` (INT32), made with the interpreter's torch (npm test installs python3-torch). */
function plusOneTorchScript(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-contract-torch-'));
  const path = join(dir, 'model.pt');
  const script = [
    'import sys, torch',
    'class PlusOne(torch.nn.Module):',
    '    def forward(self, INPUT0: torch.Tensor) -> torch.Tensor:',
    '        return INPUT0 + 1',
    'torch.jit.script(PlusOne()).save(sys.argv[1])',
  ].join('\n');
  // From a file: torch.jit.script reads the module's source.
  writeFileSync(join(dir, 'make.py'), script);
  execFileSync(pythonInterpreter({}), [join(dir, 'make.py'), path]);
  return readFileSync(path);
}

backendContract('pytorch (TorchScript in the Python stub)', {
  files: { 'm/config.pbtxt': `platform: "pytorch_libtorch"\n${io(true)}`, 'm/1/model.pt': plusOneTorchScript() },
  batched: true, expected: plusOne,
});

/** Adds 1 to every INT32 element of INPUT0, answering on the next turn of the event loop. */
const plusOneBackend: Backend = {
  name: 'plus_one',
  async createModel() {
    return {
      createInstance: async (ctx) => ({
        name: ctx.name,
        async execute(requests) {
          await new Promise((resolve) => setImmediate(resolve));
          for (const r of requests) {
            const x = r.inputs[0]!;
            const y = new Int32Array(x.data.slice().buffer).map((v) => v + 1);
            r.respond({ outputs: [{ name: 'OUTPUT0', datatype: 'INT32', shape: x.shape, data: new Uint8Array(y.buffer) }] });
          }
        },
        async dispose() {},
      }),
      dispose: async () => {},
    };
  },
};

backendContract('a backend object passed to createInferenceServer', {
  files: { 'm/config.pbtxt': `backend: "plus_one"\n${io(true)}`, 'm/1/': null },
  batched: true, expected: plusOne, server: { backends: { plus_one: plusOneBackend } },
});

const pluginDir = mkdtempSync(join(tmpdir(), 'inferd-plugins-'));
mkdirSync(join(pluginDir, 'echo_module'));
writeFileSync(join(pluginDir, 'echo_module', 'index.mjs'), pluginBackend('echo_module', `
          await new Promise((resolve) => setTimeout(resolve, 1));
          for (const r of requests) r.respond({ outputs: [{ ...r.inputs[0], name: 'OUTPUT0' }] });`));

backendContract('a plug-in module from --backend-directory', {
  files: { 'm/config.pbtxt': `backend: "echo_module"\n${io(true)}`, 'm/1/': null },
  batched: true, expected: same, server: { backendDirectory: pluginDir },
});
