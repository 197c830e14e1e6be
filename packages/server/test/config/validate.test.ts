/** validateConfig: Triton's load-time checks and messages. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, normalizeConfig, validateConfig, type ModelConfig } from '../../src/config/index.js';

/** A valid, normalized ONNX config to break one field at a time. */
function base(extra: ModelConfig = {}): ModelConfig {
  return normalizeConfig({
    name: 'm', platform: 'onnxruntime_onnx', backend: 'onnxruntime', max_batch_size: 8,
    input: [{ name: 'IN', data_type: 'TYPE_FP32', dims: [4] }],
    output: [{ name: 'OUT', data_type: 'TYPE_FP32', dims: [4] }],
    ...extra,
  }, { modelName: 'm' });
}

function message(config: ModelConfig, modelName = 'm'): string {
  try {
    validateConfig(config, modelName);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.code, 'INVALID_ARG');
    return err.message;
  }
  return 'valid';
}

test('a complete config is valid', () => {
  assert.equal(message(base()), 'valid');
  assert.equal(message(base({ dynamic_batching: { preferred_batch_size: [2, 8] } })), 'valid');
});

test('identity, platform/backend and basics', () => {
  assert.equal(message({ ...base(), name: '' }), "model configuration must specify 'name'");
  assert.equal(message(base(), 'other'), "unexpected directory name 'other' for model 'm', directory name must equal model name");
  assert.equal(message({ ...base(), backend: '', platform: 'mystery' }), "unexpected platform type 'mystery' for m");
  assert.equal(message({ ...base(), platform: 'pytorch_libtorch' }), "unexpected 'platform' and 'backend' pair, got:pytorch_libtorch, onnxruntime");
  assert.equal(message({ ...base(), max_batch_size: -1 }), "'max_batch_size' must be non-negative value for m");
  const { version_policy: _, ...noPolicy } = base();
  assert.equal(message(noPolicy), "must specify 'version policy' for m");
  assert.equal(message({ ...base(), backend: 'python', platform: '' }), 'valid');
});

test('dynamic batching', () => {
  assert.equal(message(base({ dynamic_batching: { preferred_batch_size: [16] } })), 'dynamic batching preferred size must be <= max batch size for m');
  assert.equal(message(base({ dynamic_batching: { preferred_batch_size: [-2] } })), 'dynamic batching preferred size must be positive for m');
  assert.equal(message(base({ dynamic_batching: { priority_levels: 2 } })), 'default priority level must be in range [1, 2] for m');
  assert.equal(
    message(base({ dynamic_batching: { priority_levels: 2, default_priority_level: 1, priority_queue_policy: { 3: {} } } })),
    'priority queue policy must have priority level in range [1, 2] for m',
  );
  assert.equal(
    message(base({ dynamic_batching: { preserve_ordering: true, priority_levels: 2, default_priority_level: 1 } })),
    "Only one priority level is allowed when 'preserve_ordering' is true for m",
  );
  assert.equal(
    message(base({ dynamic_batching: { preserve_ordering: true, default_queue_policy: { timeout_action: 'DELAY', default_timeout_microseconds: 5 } } })),
    "Queue policy can not have DELAY as timeout action when 'preserve_ordering' is true for m",
  );
});

test('sequence batching controls', () => {
  const seq = (s: NonNullable<ModelConfig['sequence_batching']>, extra: ModelConfig = {}) => message(base({ sequence_batching: s, ...extra }));
  assert.equal(
    seq({ control_input: [{ name: 'S', control: [{ kind: 'CONTROL_SEQUENCE_START' }] }] }),
    "sequence batching must specify either 'int32_false_true', 'fp32_false_true' or 'bool_false_true' for CONTROL_SEQUENCE_START for m",
  );
  assert.equal(
    seq({ control_input: [{ name: 'S', control: [{ int32_false_true: [0, 1], bool_false_true: [false, true] }] }] }),
    "sequence batching specifies more than one from 'int32_false_true', 'fp32_false_true' and 'bool_false_true' for CONTROL_SEQUENCE_START for m",
  );
  assert.equal(
    seq({ control_input: [{ name: 'E', control: [{ kind: 'CONTROL_SEQUENCE_END', fp32_false_true: [1] }] }] }),
    "sequence batching control 'fp32_false_true' must have exactly 2 entries for CONTROL_SEQUENCE_END for m",
  );
  assert.equal(
    seq({ control_input: [{ name: 'A', control: [{ int32_false_true: [0, 1] }] }, { name: 'B', control: [{ int32_false_true: [0, 1] }] }] }),
    'sequence batching specifies multiple CONTROL_SEQUENCE_START tensors for m',
  );
  assert.equal(
    seq({ control_input: [{ name: 'A' }, { name: 'A' }] }),
    "sequence batching control tensor 'A' is specified for multiple control kinds for m",
  );
  assert.equal(seq({ control_input: [{}] }), 'sequence batching control tensor must have a name for m');
  assert.equal(
    seq({ control_input: [{ name: 'C', control: [{ kind: 'CONTROL_SEQUENCE_CORRID', data_type: 'TYPE_FP32' }] }] }),
    'unexpected data type for control CONTROL_SEQUENCE_CORRID for m. Allowed data types are TYPE_UINT64, TYPE_INT64, TYPE_UINT32, TYPE_INT32 and TYPE_STRING',
  );
  assert.equal(seq({ oldest: { preferred_batch_size: [9] } }), 'sequence batching preferred batch size must be <= max batch size for m');
  assert.equal(seq({ direct: { minimum_slot_utilization: 1.5 } }), 'sequence batching minimum slot utilization must be in range (0.0, 1.0] for m');
  assert.equal(
    seq({}, { response_cache: { enable: true } }),
    'Response Cache does not currently support model m with sequence batching scheduler. Please disable the response cache.',
  );
  assert.equal(seq({ control_input: [{ name: 'C', control: [{ kind: 'CONTROL_SEQUENCE_CORRID', data_type: 'TYPE_UINT64' }] }] }), 'valid');
});

test('ensembles', () => {
  const ens: ModelConfig = {
    name: 'e', platform: 'ensemble', version_policy: { latest: { num_versions: 1 } },
    input: [{ name: 'IN', data_type: 'TYPE_FP32', dims: [1] }], output: [{ name: 'OUT', data_type: 'TYPE_FP32', dims: [1] }],
    ensemble_scheduling: { step: [{ model_name: 'a', input_map: { x: 'IN' }, output_map: { y: 'OUT' } }] },
  };
  assert.equal(message(ens, 'e'), 'valid');
  assert.equal(message({ ...ens, instance_group: [{ name: 'g', kind: 'KIND_CPU', count: 1 }] }, 'e'), "instance group should not be specified for ensemble 'e'");
  assert.equal(message({ ...ens, optimization: {} }, 'e'), "optimization should not be specified for ensemble 'e'");
  assert.equal(message({ ...ens, model_warmup: [{}] }, 'e'), "model_warmup can not be specified for ensemble 'e'");
  assert.equal(message({ ...ens, ensemble_scheduling: {} }, 'e'), "must specify 'step' for ensemble 'e'");
  assert.equal(message({ ...ens, ensemble_scheduling: { step: [{ model_name: 'a', input_map: { x: 'IN' } }] } }, 'e'), "must specify 'output_map' in step 0 of ensemble 'e'");
  assert.equal(message({ ...ens, backend: 'python' }, 'e'), "Ensemble model 'e' must have platform type 'ensemble' and empty backend type");
  const { ensemble_scheduling: _, ...noSched } = ens;
  assert.equal(message(noSched, 'e'), 'ensemble scheduling must be set for ensemble e whose platform is ensemble');
  assert.equal(
    message({ ...base(), ensemble_scheduling: { step: [] }, dynamic_batching: undefined }),
    "ensemble scheduling cannot be set for model 'm' whose platform is not ensemble",
  );
});

test('response cache with decoupled, model metrics', () => {
  assert.equal(
    message(base({ model_transaction_policy: { decoupled: true }, response_cache: { enable: true } })),
    "Response Cache does not currently support model m with 'decoupled' transaction policy. Please disable the response cache.",
  );
  assert.equal(message(base({ model_metrics: { metric_control: [{}] } })), "metric control must specify 'metric_identifier'");
  assert.equal(
    message(base({ model_metrics: { metric_control: [{ metric_identifier: { family: 'f' }, histogram_options: {} }] } })),
    "histogram options must specify non-empty 'buckets'",
  );
});

test('instance groups', () => {
  const group = (g: NonNullable<ModelConfig['instance_group']>[number]) => message({ ...base(), instance_group: [g] });
  assert.equal(message({ ...base(), instance_group: [] }), "must specify one or more 'instance group's for m");
  assert.equal(group({ name: 'g', kind: 'KIND_CPU', count: 1, gpus: [0] }), 'instance group g of model m has kind KIND_CPU but specifies one or more GPUs');
  assert.equal(group({ name: 'g', kind: 'KIND_GPU', count: 1 }), 'instance group g of model m has kind KIND_GPU but no GPUs are available');
  assert.equal(group({ name: 'g', kind: 'KIND_AUTO', count: 1 }), 'instance group g of model m has unexpected kind KIND_AUTO');
  assert.equal(
    group({ name: 'g', kind: 'KIND_CPU', count: 1, profile: ['0'] }),
    'instance group g of model m and platform onnxruntime_onnxspecifies profile field which is only supported for TensorRT models',
  );
  assert.equal(group({ name: 'g', kind: 'KIND_CPU', count: 0 }), 'instance group g of model m must have a count of at least 1');
  assert.equal(group({ name: 'g', kind: 'KIND_GPU', count: 1, gpus: [0] }), 'valid');
  // Against the server's GPUs (supported = at or above --min-supported-compute-capability).
  const onGpus = (g: NonNullable<ModelConfig['instance_group']>[number], supported: number[]): string => {
    try {
      validateConfig({ ...base(), instance_group: [g] }, 'm', { gpus: { supported, minComputeCapability: 7.5 } });
      return 'valid';
    } catch (err) {
      return (err as Error).message;
    }
  };
  assert.equal(onGpus({ name: 'g', kind: 'KIND_GPU', count: 1, gpus: [1] }, [0, 1]), 'valid');
  assert.equal(onGpus({ name: 'g', kind: 'KIND_GPU', count: 1, gpus: [0, 3] }, [0, 2]),
    'instance group g of model m specifies invalid or unsupported gpu id 3. GPUs with at least the minimum required CUDA compute compatibility of 7.500000 are: 0, 2');
  assert.equal(onGpus({ name: 'g', kind: 'KIND_GPU', count: 1 }, [0]), 'instance group g of model m has kind KIND_GPU but specifies no GPUs');
  assert.equal(onGpus({ name: 'g', kind: 'KIND_GPU', count: 1 }, []), 'instance group g of model m has kind KIND_GPU but no GPUs are available');
});

test('inputs and outputs', () => {
  const io = (input: NonNullable<ModelConfig['input']>, extra: ModelConfig = {}) => message({ ...base(), input, ...extra });
  assert.equal(io([{ data_type: 'TYPE_FP32', dims: [1] }]), "model input must specify 'name' for m");
  assert.equal(io([{ name: 'x', dims: [1] }]), "model input 'x' must specify 'data_type' for m");
  assert.equal(io([{ name: 'x', data_type: 'TYPE_FP32' }]), "model input 'x' must specify 'dims' for m");
  assert.equal(io([{ name: 'x', data_type: 'TYPE_FP32', dims: [0] }]), "model input 'x' dimension must be integer >= 1, or -1 to indicate a variable-size dimension for m");
  assert.equal(io([{ name: 'x', data_type: 'TYPE_FP32', dims: [4], reshape: { shape: [3] } }]), "model input 'x' has different size for dims and reshape for m");
  assert.equal(io([{ name: 'x', data_type: 'TYPE_FP32', dims: [1], reshape: {} }]), 'valid');
  assert.equal(
    io([{ name: 'x', data_type: 'TYPE_FP32', dims: [1], reshape: {} }], { max_batch_size: 0 }),
    "model input 'x' cannot have empty reshape for non-batching model as scalar tensors are not supported for m",
  );
  assert.equal(io([{ name: 'x', data_type: 'TYPE_FP32', dims: [2, 4, -1, 6], reshape: { shape: [8, -1, 1, 6] } }]), 'valid');
  assert.equal(
    io([{ name: 'x', data_type: 'TYPE_FP32', dims: [2, -1, -1], reshape: { shape: [2, -1] } }]),
    "model input 'x' has different number of variable-size dimensions for dims and reshape for m",
  );
  assert.equal(io([{ name: 'x', data_type: 'TYPE_FP32', format: 'FORMAT_NCHW', dims: [3, 4] }]), 'model input NHWC/NCHW require 3 dims for m');
  assert.equal(io([{ name: 'x', data_type: 'TYPE_INT32', dims: [1], is_shape_tensor: true }]), 'shape tensors are only supported for TensorRT platform for m');
  assert.equal(
    io([{ name: 'x', data_type: 'TYPE_FP32', dims: [1] }, { name: 'x', data_type: 'TYPE_FP32', dims: [1] }]),
    "model input 'x' is specified more than once for m",
  );
  assert.equal(message({ ...base(), output: [{ name: 'o', data_type: 'TYPE_INVALID', dims: [1] }] }), "model output 'o' must specify 'data_type' for m");
  assert.equal(
    message({ ...base(), batch_input: [{ kind: 'BATCH_ELEMENT_COUNT', data_type: 'TYPE_FP32', source_input: ['IN', 'IN'] }] }),
    "batch input kind 'BATCH_ELEMENT_COUNT' expects 1 source input, got 2 for m",
  );
  assert.equal(
    message({ ...base(), batch_input: [{ data_type: 'TYPE_INT64', source_input: ['IN'] }] }),
    'batch input data type must be TYPE_INT32 or TYPE_FP32 for m',
  );
  assert.equal(message({ ...base(), batch_output: [{ target_name: ['NOPE'], source_input: ['IN'] }] }), "unknown target output name 'NOPE' for m");
  assert.equal(message({ ...base(), batch_output: [{ target_name: ['OUT'], source_input: ['X'] }] }), "unknown source input name 'X' for m");
});
