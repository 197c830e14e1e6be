/**
 * The config `runtime` field (Triton's GetBackendLibraryProperties): which file of
 * `<backend-directory>/<backend>/` implements the backend; paths that leave that folder are refused
 * with Triton's message; `model.py` (or a backend folder with only model.py) is a Python-based
 * backend. Real plug-in modules, the real python backend, real loads through createInferenceServer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInferenceServer, type InferenceServer } from '../../src/index.js';
import { pluginBackend } from '../support/plugin-backend.js';

/** Answers OUT = [tag] whatever the input. */
const tagged = (tag: number) => pluginBackend('rt', `
          for (const r of requests) r.respond({ outputs: [{ name: 'OUT', datatype: 'INT32', shape: [1], data: new Uint8Array(new Int32Array([${tag}]).buffer) }] });`);

const PY_MODEL = `
import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def initialize(self, args):
        self.tag = 30 if args["model_name"] == "pyb_default" else 31

    def execute(self, requests):
        return [pb_utils.InferenceResponse([pb_utils.Tensor("OUT", np.array([self.tag], np.int32))]) for _ in requests]
`;

function config(backend: string, runtime?: string): string {
  return [
    `backend: "${backend}"`, ...(runtime === undefined ? [] : [`runtime: "${runtime}"`]), 'max_batch_size: 0',
    'input [ { name: "IN" data_type: TYPE_INT32 dims: [ 1 ] } ]',
    'output [ { name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] } ]',
  ].join('\n');
}

async function tagOf(server: InferenceServer, model: string): Promise<number> {
  const r = await server.infer({ modelName: model, inputs: [{ name: 'IN', datatype: 'INT32', shape: [1], data: new Uint8Array(4) }] });
  assert.equal(r.error, undefined, model);
  return new Int32Array(Uint8Array.from(r.outputs[0]!.data).buffer)[0]!;
}

test('runtime picks the plug-in file, accepts Triton\'s default library name, refuses escapes and missing files', async () => {
  const root = mkdtempSync(join(tmpdir(), 'inferd-runtime-'));
  const backends = join(root, 'backends');
  const rt = join(backends, 'rt');
  const repo = join(root, 'models');
  const files: Record<string, string> = {
    [join(rt, 'index.js')]: tagged(1),
    [join(rt, 'alt.mjs')]: tagged(2),
    [join(rt, 'sub', 'deep.mjs')]: tagged(3),
    [join(backends, 'outside.mjs')]: tagged(66),
    [join(root, 'far.mjs')]: tagged(77),
    [join(backends, 'pyb', 'model.py')]: PY_MODEL,
  };
  const models: Record<string, string> = {
    plain: config('rt'),
    alt: config('rt', 'alt.mjs'),
    deep: config('rt', 'sub/deep.mjs'),
    libname: config('rt', 'libtriton_rt.so'),
    up: config('rt', '../outside.mjs'),
    absolute: config('rt', join(root, 'far.mjs')),
    linked: config('rt', 'link.mjs'),
    missing: config('rt', 'nope.mjs'),
    pyb_default: config('pyb'),
    pyb_named: config('pyb', 'model.py'),
    py_missing: config('rt', 'model.py'),
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
  }
  symlinkSync(join(backends, 'outside.mjs'), join(rt, 'link.mjs'));
  for (const [name, text] of Object.entries(models)) {
    mkdirSync(join(repo, name, '1'), { recursive: true });
    writeFileSync(join(repo, name, 'config.pbtxt'), text);
  }
  // A built-in named by Triton's default library name (as configs exported by Triton carry it).
  mkdirSync(join(repo, 'ident', '1'), { recursive: true });
  writeFileSync(join(repo, 'ident', 'config.pbtxt'), [
    'backend: "identity"', 'runtime: "libtriton_identity.so"', 'max_batch_size: 0',
    'input [ { name: "INPUT0" data_type: TYPE_INT32 dims: [ 1 ] } ]', 'output [ { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 1 ] } ]',
  ].join('\n'));
  const { server, failedModels } = await createInferenceServer({ modelRepository: repo, backendDirectory: backends, exitOnError: false });
  try {
    assert.deepEqual(failedModels, ['absolute', 'linked', 'missing', 'py_missing', 'up']);
    assert.equal(await tagOf(server, 'plain'), 1);
    assert.equal(await tagOf(server, 'alt'), 2);
    assert.equal(await tagOf(server, 'deep'), 3);
    assert.equal(await tagOf(server, 'libname'), 1);
    assert.equal(await tagOf(server, 'pyb_default'), 30);
    assert.equal(await tagOf(server, 'pyb_named'), 31);
    const ident = await server.infer({ modelName: 'ident', inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1], data: new Uint8Array(new Int32Array([9]).buffer) }] });
    assert.deepEqual([...new Int32Array(Uint8Array.from(ident.outputs[0]!.data).buffer)], [9]);
    const reason = new Map(server.repositoryIndex().map((e) => [e.name, e.reason]));
    const escapes = (runtime: string, model: string) =>
      `backend library name '${runtime}' escapes backend directory '${rt}', for model '${model}', check model config runtime field`;
    assert.equal(reason.get('up'), escapes('../outside.mjs', 'up'));
    assert.equal(reason.get('absolute'), escapes(join(root, 'far.mjs'), 'absolute'));
    assert.equal(reason.get('linked'), escapes('link.mjs', 'linked'));
    assert.equal(reason.get('missing'), `unable to find backend library 'nope.mjs' for model 'missing', searched: '${rt}' `);
    assert.equal(reason.get('py_missing'),
      `unable to find Python backend based backend library 'model.py' for model 'py_missing', searched: '${join(rt, 'model.py')}'`);
  } finally {
    await server.shutdown();
    rmSync(root, { recursive: true, force: true });
  }
});
