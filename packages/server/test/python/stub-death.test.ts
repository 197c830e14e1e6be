/**
 * A Python stub that dies before it answers (its interpreter lacks numpy, or model code ends the
 * process) fails the load with the stub's last stderr line in the model's reason, as shown by HTTP
 * POST /v2/repository/index, not only in the log; a missing module also names the package to install.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInferenceServer, HttpFrontend } from '../../src/index.js';
import { Logger } from '../../src/observability/log.js';
import { makeRepo, type RepoFiles } from '../support/temp-repo.js';

const CONFIG = 'backend: "python"\nmax_batch_size: 0\n' +
  'input [ { name: "IN" data_type: TYPE_INT32 dims: [ 1 ] } ]\noutput [ { name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] } ]';

const FINE_MODEL = `
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        return [pb_utils.InferenceResponse([pb_utils.Tensor("OUT", pb_utils.get_input_tensor_by_name(r, "IN").as_numpy())])
                for r in requests]
`;

/** Ends its own process from initialize() after one last word on stderr, as a crashing C extension would. */
const DYING_MODEL = `
import os
import sys


class TritonPythonModel:
    def initialize(self, args):
        sys.stderr.write("loading weights\\n")
        sys.stderr.write("RuntimeError: licence server unreachable\\n\\n")
        sys.stderr.flush()
        os._exit(3)

    def execute(self, requests):
        return []
`;

/** An interpreter as on a machine without Debian's python3-numpy: site-packages off (-S). */
function bareInterpreter(): { path: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-bare-python-'));
  const path = join(dir, 'python3');
  writeFileSync(path, '#!/bin/sh\nexec /usr/bin/python3 -S "$@"\n');
  chmodSync(path, 0o755);
  return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

async function indexOf(files: RepoFiles, options: { interpreter?: string; autoComplete?: boolean }): Promise<{ index: any[]; logs: string[] }> {
  const repo = makeRepo(files);
  const logs: string[] = [];
  const logger = new Logger({ info: true, verboseLevel: 0 });
  logger.write = (line) => logs.push(line);
  const { server } = await createInferenceServer({
    modelRepository: repo.dir, exitOnError: false, logger, autoComplete: options.autoComplete ?? true,
    backendConfig: options.interpreter === undefined ? [] : [`python,python-interpreter=${options.interpreter}`],
  });
  const http = new HttpFrontend(server, { port: 0, address: '127.0.0.1', maxInputSize: 1 << 20 });
  try {
    const { port } = await http.listen();
    const res = await fetch(`http://127.0.0.1:${port}/v2/repository/index`, { method: 'POST', body: '' });
    assert.equal(res.status, 200);
    return { index: await res.json() as any[], logs };
  } finally {
    await http.close();
    await server.shutdown(1000);
    repo.cleanup();
  }
}

test('without numpy the reason names the module, the interpreter and the Debian package (auto-complete and initialize)', async () => {
  const python = bareInterpreter();
  try {
    const files = { 'm/config.pbtxt': CONFIG, 'm/1/model.py': FINE_MODEL };
    const completing = await indexOf(files, { interpreter: python.path });
    assert.deepEqual(completing.index, [{
      name: 'm', state: 'UNAVAILABLE',
      reason: "failed to auto-complete the configuration of Python model 'm': the stub exited with code 1 before answering: " +
        `ModuleNotFoundError: No module named 'numpy' (install numpy for ${python.path}; Debian: python3-numpy)`,
    }]);
    // The stub's own import failure is one log line, not a traceback through inferd's files.
    assert.deepEqual(completing.logs.filter((l) => l.includes('m_auto_complete:')).map((l) => l.trimEnd().replace(/^.*\] /, '')),
      ["m_auto_complete: ModuleNotFoundError: No module named 'numpy'"]);
    // Auto-complete off: the instance's stub dies the same way during initialize.
    const initializing = await indexOf(files, { interpreter: python.path, autoComplete: false });
    assert.equal(initializing.index.length, 1);
    assert.equal(initializing.index[0].state, 'UNAVAILABLE');
    assert.match(initializing.index[0].reason,
      /Python stub for model instance 'm_0' exited with code 1 during initialize: ModuleNotFoundError: No module named 'numpy' \(install numpy for .*; Debian: python3-numpy\)$/);
  } finally {
    python.cleanup();
  }
});

test('a stub that ends itself in initialize() has its last stderr line in the reason', async () => {
  const { index } = await indexOf({ 'dying/config.pbtxt': CONFIG, 'dying/1/model.py': DYING_MODEL }, {});
  assert.equal(index.length, 1);
  assert.equal(index[0].state, 'UNAVAILABLE');
  assert.match(index[0].reason, /Python stub for model instance 'dying_0' exited with code 3 during initialize: RuntimeError: licence server unreachable$/);
});

test('a model importing a module that is not installed names it (no Debian hint for an unknown module)', async () => {
  const model = 'import inferd_no_such_module_xyz\n' + FINE_MODEL;
  const { index } = await indexOf({ 'nomod/config.pbtxt': CONFIG, 'nomod/1/model.py': model }, {});
  assert.equal(index[0].state, 'UNAVAILABLE');
  assert.match(index[0].reason,
    /'nomod': ModuleNotFoundError: No module named 'inferd_no_such_module_xyz' \(install inferd_no_such_module_xyz for \S+python3\)$/);
});
