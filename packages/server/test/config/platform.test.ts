/** Platform table and core auto-complete of platform/backend/default_model_filename (spec §6.2, §7). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, completePlatform, platformForBackend, platformInfo } from '../../src/config/index.js';

test('platformForBackend / platformInfo', () => {
  assert.deepEqual(platformForBackend('onnxruntime'), { platform: 'onnxruntime_onnx', backend: 'onnxruntime', defaultModelFilename: 'model.onnx' });
  assert.deepEqual(platformForBackend('python'), { platform: '', backend: 'python', defaultModelFilename: 'model.py' });
  assert.deepEqual(platformForBackend('openvino'), { platform: '', backend: 'openvino', defaultModelFilename: 'model.xml' });
  assert.equal(platformForBackend('identity'), undefined);
  assert.deepEqual(platformInfo('onnxruntime_onnx'), { platform: 'onnxruntime_onnx', backend: 'onnxruntime', defaultModelFilename: 'model.onnx' });
  assert.deepEqual(platformInfo('libtorch'), { platform: 'pytorch_libtorch', backend: 'pytorch', defaultModelFilename: 'model.pt' });
  assert.deepEqual(platformInfo('pytorch_libtorch'), platformInfo('libtorch'));
  assert.deepEqual(platformInfo('torch_aoti'), { platform: 'torch_aoti', backend: 'pytorch', defaultModelFilename: 'model.pt2' });
  assert.deepEqual(platformInfo('tensorflow_graphdef'), { platform: 'tensorflow_graphdef', backend: 'tensorflow', defaultModelFilename: 'model.graphdef' });
  assert.deepEqual(platformInfo('ensemble'), { platform: 'ensemble', backend: '', defaultModelFilename: '' });
  assert.equal(platformInfo('onnx'), undefined);
});

test('detects the backend from the first version directory', () => {
  const cases: [string[], Record<string, string>][] = [
    [['model.onnx'], { platform: 'onnxruntime_onnx', backend: 'onnxruntime', default_model_filename: 'model.onnx' }],
    [['model.py', 'helper.py'], { backend: 'python', default_model_filename: 'model.py' }],
    // Triton leaves the file name empty here (the PyTorch backend defaults it), but fills it for model.pt2.
    [['model.pt'], { platform: 'pytorch_libtorch', backend: 'pytorch' }],
    [['model.pt2'], { platform: 'torch_aoti', backend: 'pytorch', default_model_filename: 'model.pt2' }],
    [['model.plan'], { platform: 'tensorrt_plan', backend: 'tensorrt', default_model_filename: 'model.plan' }],
    [['model.savedmodel'], { platform: 'tensorflow_savedmodel', backend: 'tensorflow', default_model_filename: 'model.savedmodel' }],
    [['model.graphdef'], { platform: 'tensorflow_graphdef', backend: 'tensorflow', default_model_filename: 'model.graphdef' }],
    [['model.xml', 'model.bin'], { backend: 'openvino', default_model_filename: 'model.xml' }],
    [['model.dali'], { backend: 'dali', default_model_filename: 'model.dali' }],
    // Triton's order: ONNX Runtime is tried before Python.
    [['model.py', 'model.onnx'], { platform: 'onnxruntime_onnx', backend: 'onnxruntime', default_model_filename: 'model.onnx' }],
  ];
  for (const [entries, expected] of cases) {
    assert.deepEqual(completePlatform({}, 'm', entries), { name: 'm', ...expected }, entries.join(','));
  }
});

test('fills the missing one of platform/backend from the other, keeps what is given', () => {
  assert.deepEqual(completePlatform({ platform: 'onnxruntime_onnx' }, 'm', ['model.py']), {
    name: 'm', platform: 'onnxruntime_onnx', backend: 'onnxruntime', default_model_filename: 'model.onnx',
  });
  assert.deepEqual(completePlatform({ backend: 'onnxruntime', default_model_filename: 'net.onnx' }, 'm', []), {
    name: 'm', backend: 'onnxruntime', default_model_filename: 'net.onnx', platform: 'onnxruntime_onnx',
  });
  assert.deepEqual(completePlatform({ name: 'x', backend: 'python' }, 'm', []), {
    name: 'x', backend: 'python', default_model_filename: 'model.py',
  });
  assert.deepEqual(completePlatform({ default_model_filename: 'model.plan' }, 'm', []), {
    name: 'm', default_model_filename: 'model.plan', backend: 'tensorrt', platform: 'tensorrt_plan',
  });
  assert.deepEqual(completePlatform({ platform: 'libtorch' }, 'm', []), { name: 'm', platform: 'libtorch', backend: 'pytorch' });
  assert.deepEqual(completePlatform({ platform: 'ensemble' }, 'e', ['model.onnx']), { name: 'e', platform: 'ensemble' });
  assert.deepEqual(completePlatform({ backend: 'identity' }, 'm', ['model.onnx']), { name: 'm', backend: 'identity' });
});

test('a model directory named x.<backend> selects that backend; otherwise a Triton error', () => {
  assert.deepEqual(completePlatform({}, 'add.identity', ['weights.bin']), {
    name: 'add.identity', backend: 'identity', default_model_filename: 'model.identity',
  });
  assert.throws(() => completePlatform({}, 'nothing', ['weights.bin']), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(
      err.message,
      "Invalid model name: Could not determine backend for model 'nothing' with no backend in model configuration. Expected model name of the form 'model.<backend_name>'.",
    );
    return true;
  });
});

test('does not mutate its argument', () => {
  const config = { max_batch_size: 2 };
  completePlatform(config, 'm', ['model.onnx']);
  assert.deepEqual(config, { max_batch_size: 2 });
});
