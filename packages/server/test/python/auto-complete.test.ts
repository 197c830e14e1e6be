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

/** A model.py whose auto_complete_config runs `body` (indented into the method) on `config`. */
function completing(body: string): string {
  return [
    'class TritonPythonModel:',
    '    @staticmethod',
    '    def auto_complete_config(config):',
    ...body.trim().split('\n').map((l) => `        ${l}`),
    '',
    '    def execute(self, requests):',
    '        return None',
    '',
  ].join('\n');
}

const IO = 'input [ { name: "A" data_type: TYPE_INT32 dims: [ 2 ] } ]\noutput [ { name: "B" data_type: TYPE_INT32 dims: [ 2 ] } ]';

async function loadReasons(files: Record<string, string>): Promise<Map<string, string | undefined>> {
  const repo = makeRepo(files);
  const { server } = await createInferenceServer({ modelRepository: repo.dir, exitOnError: false });
  try {
    return new Map(server.repositoryIndex().map((e) => [e.name, e.state === 'READY' ? undefined : e.reason]));
  } finally {
    await server.shutdown();
    repo.cleanup();
  }
}

test('auto_complete_config that returns None (or anything but the ModelConfig) fails the load with Triton\'s message', async () => {
  const reasons = await loadReasons({
    'forgot/config.pbtxt': `backend: "python"\n${IO}`,
    'forgot/1/model.py': completing('config.set_max_batch_size(0)'),
    'other/config.pbtxt': `backend: "python"\n${IO}`,
    'other/1/model.py': completing('return config.as_dict()'),
  });
  for (const name of ['forgot', 'other']) {
    assert.equal(reasons.get(name),
      `failed to auto-complete the configuration of Python model '${name}': auto_complete_config function in model ` +
      `'${name}' must return a valid pb.ModelConfig object.`);
  }
});

test('set_model_transaction_policy may not change the decoupled setting config.pbtxt has', async () => {
  const reasons = await loadReasons({
    'to_decoupled/config.pbtxt': `backend: "python"\n${IO}\nmodel_transaction_policy { decoupled: false }`,
    'to_decoupled/1/model.py': completing('config.set_model_transaction_policy(dict(decoupled=True))\nreturn config'),
    'to_plain/config.pbtxt': `backend: "python"\n${IO}\nmodel_transaction_policy { decoupled: true }`,
    'to_plain/1/model.py': completing('config.set_model_transaction_policy(dict(decoupled=False))\nreturn config'),
    'same/config.pbtxt': `backend: "python"\n${IO}\nmodel_transaction_policy { decoupled: true }`,
    'same/1/model.py': completing('config.set_model_transaction_policy(dict(decoupled=True))\nreturn config'),
    'unset/config.pbtxt': `backend: "python"\n${IO}`,
    'unset/1/model.py': completing('config.set_model_transaction_policy(dict(decoupled=True))\nreturn config'),
    'extra_key/config.pbtxt': `backend: "python"\n${IO}`,
    'extra_key/1/model.py': completing('config.set_model_transaction_policy(dict(decoupled=True, ordered=True))\nreturn config'),
  });
  assert.equal(reasons.get('to_decoupled'),
    "failed to auto-complete the configuration of Python model 'to_decoupled': ValueError: trying to change decoupled " +
    "property in auto-complete-config for model 'to_decoupled', which is already set to 'False'.");
  assert.equal(reasons.get('to_plain'),
    "failed to auto-complete the configuration of Python model 'to_plain': ValueError: trying to change decoupled " +
    "property in auto-complete-config for model 'to_plain', which is already set to 'True'.");
  assert.equal(reasons.get('extra_key'),
    "failed to auto-complete the configuration of Python model 'extra_key': ValueError: model transaction property in " +
    "auto-complete-config function for model 'extra_key' contains property other than 'decoupled'.");
  // Repeating the configured value, or setting one config.pbtxt leaves open, loads.
  assert.equal(reasons.get('same'), undefined);
  assert.equal(reasons.get('unset'), undefined);
});

test('a decoupled policy set by auto_complete_config where config.pbtxt has none makes the model decoupled', async () => {
  const repo = makeRepo({
    'streamer/config.pbtxt': `backend: "python"\n${IO}`,
    'streamer/1/model.py': completing('config.set_model_transaction_policy(dict(decoupled=True))\nreturn config'),
  });
  const { server } = await createInferenceServer({ modelRepository: repo.dir });
  try {
    assert.equal((server.modelConfig('streamer') as any).model_transaction_policy.decoupled, true);
  } finally {
    await server.shutdown();
    repo.cleanup();
  }
});
