/**
 * auto_complete_config (spec §10): a throw-away stub runs the model's static method on the config;
 * a model with no config.pbtxt gets its inputs, outputs, batching and transaction policy from it;
 * ModelConfig's refusals fail the load with their message; auto-complete disabled skips it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createInferenceServer } from '../../src/index.js';
import { makeRepo } from '../support/temp-repo.js';

const COMPLETING_MODEL = `
import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    @staticmethod
    def auto_complete_config(auto_complete_model_config):
        auto_complete_model_config.add_input({"name": "A", "data_type": "TYPE_INT32", "dims": [2]})
        auto_complete_model_config.add_output({"name": "B", "data_type": "TYPE_INT32", "dims": [2]})
        auto_complete_model_config.set_max_batch_size(4)
        auto_complete_model_config.set_dynamic_batching()
        return auto_complete_model_config

    def execute(self, requests):
        return [pb_utils.InferenceResponse([pb_utils.Tensor("B", pb_utils.get_input_tensor_by_name(r, "A").as_numpy() * 3)])
                for r in requests]
`;

const CONFLICTING_MODEL = `
class TritonPythonModel:
    @staticmethod
    def auto_complete_config(config):
        config.add_input({"name": "A", "data_type": "TYPE_FP32", "dims": [2]})
        return config

    def execute(self, requests):
        return []
`;

test('a config-less Python model is completed by its auto_complete_config and serves', async () => {
  const repo = makeRepo({ 'tripler/1/model.py': COMPLETING_MODEL });
  const { server } = await createInferenceServer({ modelRepository: repo.dir });
  try {
    const cfg = server.modelConfig('tripler') as any;
    assert.equal(cfg.backend, 'python');
    assert.equal(cfg.max_batch_size, 4);
    assert.deepEqual(cfg.input.map((i: any) => [i.name, i.data_type, i.dims]), [['A', 'TYPE_INT32', [2]]]);
    assert.deepEqual(cfg.output.map((o: any) => [o.name, o.data_type, o.dims]), [['B', 'TYPE_INT32', [2]]]);
    assert.deepEqual(cfg.dynamic_batching.preferred_batch_size, [4]);
    const r = await server.infer({
      modelName: 'tripler', inputs: [{ name: 'A', datatype: 'INT32', shape: [1, 2], data: new Uint8Array(new Int32Array([2, -5]).buffer) }],
    });
    assert.deepEqual([...new Int32Array(r.outputs[0]!.data.slice().buffer)], [6, -15]);
  } finally {
    await server.shutdown();
    repo.cleanup();
  }
});

test('auto_complete_config contradicting config.pbtxt fails the load with ModelConfig\'s message', async () => {
  const repo = makeRepo({
    'clash/config.pbtxt': 'backend: "python"\ninput [ { name: "A" data_type: TYPE_INT32 dims: [ 2 ] } ]\noutput [ { name: "B" data_type: TYPE_INT32 dims: [ 2 ] } ]',
    'clash/1/model.py': CONFLICTING_MODEL,
  });
  const { server, failedModels } = await createInferenceServer({ modelRepository: repo.dir, exitOnError: false });
  try {
    assert.deepEqual(failedModels, ['clash']);
    assert.equal(server.repositoryIndex()[0]?.reason,
      "failed to auto-complete the configuration of Python model 'clash': ValueError: unable to load model 'clash', " +
      "configuration expects datatype TYPE_INT32 for input 'A', model provides TYPE_FP32");
  } finally {
    await server.shutdown();
  }
  // With auto-complete disabled the method is not called and the model loads as configured.
  const off = await createInferenceServer({ modelRepository: repo.dir, autoComplete: false });
  try {
    assert.equal((off.server.modelConfig('clash') as any).input[0].data_type, 'TYPE_INT32');
  } finally {
    await off.server.shutdown();
    repo.cleanup();
  }
});
