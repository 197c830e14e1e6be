/** selectVersions, toModelSpec and parseBackendConfig. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConfigError, normalizeConfig, parseBackendConfig, parseModelConfigText, renderConfigJson, selectVersions, toModelSpec,
} from '../../src/config/index.js';

test('selectVersions', () => {
  assert.deepEqual(selectVersions(undefined, [3, 1, 2]), [3]);
  assert.deepEqual(selectVersions({ latest: { num_versions: 2 } }, [1, 10, 2, 9]), [9, 10]);
  assert.deepEqual(selectVersions({ latest: { num_versions: 5 } }, [2, 1]), [1, 2]);
  assert.deepEqual(selectVersions({ latest: {} }, [1, 2]), []);
  assert.deepEqual(selectVersions({ all: {} }, [3, 1, 3]), [1, 3]);
  assert.deepEqual(selectVersions({ specific: { versions: [4, 1, 7] } }, [1, 2, 3, 4]), [1, 4]);
  assert.deepEqual(selectVersions({ latest: { num_versions: 1 } }, []), []);
});

test('toModelSpec builds what core validates against', () => {
  const config = normalizeConfig(parseModelConfigText(
    `name: "cls" backend: "onnxruntime" platform: "onnxruntime_onnx" max_batch_size: 4
     input [ { name: "x" data_type: TYPE_STRING dims: [ -1 ] allow_ragged_batch: true optional: true },
             { name: "s" data_type: TYPE_FP16 dims: [ 1 ] reshape { } } ]
     output [ { name: "probs" data_type: TYPE_FP32 dims: [ 3 ] label_filename: "labels.txt" }, { name: "raw" data_type: TYPE_BF16 dims: [ 2, 2 ] } ]
     model_transaction_policy { decoupled: true }`,
    'c',
  ), { modelName: 'cls' });
  const spec = toModelSpec(config, 3, new Map([['probs', ['a', 'b', 'c']]]));
  assert.deepEqual(spec, {
    name: 'cls', version: 3, platform: 'onnxruntime_onnx', maxBatchSize: 4,
    inputs: [
      { name: 'x', datatype: 'BYTES', dims: [-1], optional: true, allowRaggedBatch: true, isShapeTensor: false },
      { name: 's', datatype: 'FP16', dims: [1], reshape: [], optional: false, allowRaggedBatch: false, isShapeTensor: false },
    ],
    outputs: [
      { name: 'probs', datatype: 'FP32', dims: [3], optional: false, allowRaggedBatch: false, isShapeTensor: false, labels: ['a', 'b', 'c'] },
      { name: 'raw', datatype: 'BF16', dims: [2, 2], optional: false, allowRaggedBatch: false, isShapeTensor: false },
    ],
    decoupled: true,
    internalInputs: [],
    internalOutputs: [],
    configJson: renderConfigJson(config),
  });
  assert.equal(toModelSpec({ name: 'p', backend: 'python' }, 1, new Map()).platform, 'python');
  assert.throws(
    () => toModelSpec({ name: 'b', input: [{ name: 'i', dims: [1] }] }, 1, new Map()),
    (err: unknown) => err instanceof ConfigError && err.message === "model input 'i' must specify 'data_type' for b",
  );
});

test('parseBackendConfig: global settings overlaid by per-backend ones', () => {
  const cfg = parseBackendConfig(['default-max-batch-size=8', 'onnxruntime,default-max-batch-size=2', 'python,shm-region-prefix-name=p', 'k=a,b']);
  assert.deepEqual(cfg.forBackend('onnxruntime'), { 'default-max-batch-size': '2', k: 'a,b' });
  assert.deepEqual(cfg.forBackend('python'), { 'default-max-batch-size': '8', k: 'a,b', 'shm-region-prefix-name': 'p' });
  assert.deepEqual(cfg.forBackend('other'), { 'default-max-batch-size': '8', k: 'a,b' });
  const a = cfg.forBackend('other');
  a['x'] = 'y';
  assert.deepEqual(cfg.forBackend('other'), { 'default-max-batch-size': '8', k: 'a,b' });
  assert.throws(() => parseBackendConfig(['onnxruntime,nothing']), {
    message: "--backend-config option format is <backend name>,<setting>=<value> or <setting>=<value>. Got onnxruntime,nothing",
  });
  assert.throws(() => parseBackendConfig([',k=v']), {
    message: 'No backend specified. --backend-config option format is <backend name>,<setting>=<value> or <setting>=<value>. Got ,k=v',
  });
});

test('toModelSpec lists sequence control and implicit-state tensors as internal', () => {
  const config = normalizeConfig(parseModelConfigText(`
    name: "acc" backend: "onnxruntime" max_batch_size: 4
    input [{ name: "x" data_type: TYPE_FP32 dims: [1] }]
    output [{ name: "y" data_type: TYPE_FP32 dims: [1] }]
    sequence_batching {
      control_input [
        { name: "START" control [{ kind: CONTROL_SEQUENCE_START fp32_false_true: [0, 1] }] },
        { name: "READY" control [{ kind: CONTROL_SEQUENCE_READY bool_false_true: [false, true] }] },
        { name: "CORRID" control [{ kind: CONTROL_SEQUENCE_CORRID data_type: TYPE_UINT64 }] }
      ]
      state [{ input_name: "s_in" output_name: "s_out" data_type: TYPE_INT32 dims: [2] }]
    }`, 'acc.pbtxt'), { modelName: 'acc' });
  const spec = toModelSpec(config, 1, new Map());
  assert.deepEqual(spec.internalInputs.map((t) => [t.name, t.datatype, t.dims]), [
    ['START', 'FP32', [1]], ['READY', 'BOOL', [1]], ['CORRID', 'UINT64', [1]], ['s_in', 'INT32', [2]],
  ]);
  assert.deepEqual(spec.internalOutputs.map((t) => [t.name, t.datatype, t.dims]), [['s_out', 'INT32', [2]]]);
});
