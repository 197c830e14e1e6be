/** /config JSON rendering: exactly Triton's output, key order included (spec §6.3). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  completePlatform, normalizeConfig, parseModelConfigText, renderConfigJson, type ModelConfig,
} from '../../src/config/index.js';

/** Compares JSON text so key order counts, as it does for a client reading the bytes. */
function assertJson(actual: unknown, expected: unknown): void {
  assert.equal(JSON.stringify(actual, null, 1), JSON.stringify(expected, null, 1));
}

function loadLike(text: string, modelName: string, entries: string[] = []): ModelConfig {
  const completed = completePlatform(parseModelConfigText(text, 'config.pbtxt'), modelName, entries);
  return normalizeConfig(completed, { modelName });
}

// The real example of spec §6.3 (CPU ONNX model, auto-completed, dynamic batching), verbatim.
const SPEC_EXAMPLE = `{"name":"model_test","platform":"onnxruntime_onnx","backend":"onnxruntime","runtime":"",
 "version_policy":{"latest":{"num_versions":1}},"max_batch_size":4,
 "input":[{"name":"images","data_type":"TYPE_FP32","format":"FORMAT_NONE","dims":[3,-1,-1],"is_shape_tensor":false,
   "allow_ragged_batch":false,"optional":false,"is_non_linear_format_io":false}],
 "output":[{"name":"output","data_type":"TYPE_FP32","dims":[10],"label_filename":"","is_shape_tensor":false,
   "is_non_linear_format_io":false}],
 "batch_input":[],"batch_output":[],
 "optimization":{"priority":"PRIORITY_DEFAULT","input_pinned_memory":{"enable":true},"output_pinned_memory":{"enable":true},
   "gather_kernel_buffer_threshold":0,"eager_batching":false},
 "dynamic_batching":{"preferred_batch_size":[4],"max_queue_delay_microseconds":0,"preserve_ordering":false,
   "priority_levels":0,"default_priority_level":0,"priority_queue_policy":{}},
 "instance_group":[{"name":"model_test","kind":"KIND_CPU","count":2,"gpus":[],"secondary_devices":[],"profile":[],
   "passive":false,"host_policy":""}],
 "default_model_filename":"model.onnx","cc_model_filenames":{},"metric_tags":{},"parameters":{},"model_warmup":[]}`;

test("spec §6.3 example: auto-completed CPU ONNX config renders byte-for-byte as Triton's", () => {
  // What the ONNX Runtime backend's auto-complete leaves: I/O, max_batch_size 4, dynamic_batching {}.
  const config = loadLike(
    `max_batch_size: 4
     input [ { name: "images" data_type: TYPE_FP32 dims: [ 3, -1, -1 ] } ]
     output [ { name: "output" data_type: TYPE_FP32 dims: [ 10 ] } ]
     dynamic_batching { }`,
    'model_test',
    ['model.onnx'],
  );
  assertJson(renderConfigJson(config), JSON.parse(SPEC_EXAMPLE));
});

test('ensemble: no instance groups or optimization; step model_version is a number', () => {
  const config = loadLike(
    `platform: "ensemble"
     max_batch_size: 1
     input [ { name: "IN" data_type: TYPE_STRING dims: [ 1 ] } ]
     output [ { name: "OUT" data_type: TYPE_FP32 dims: [ 2 ] reshape { shape: [ 1, 2 ] } } ]
     ensemble_scheduling { step [ { model_name: "a" model_version: -1 input_map { key: "x" value: "IN" }
       output_map { key: "y" value: "OUT" } } ] }`,
    'ens',
  );
  assertJson(renderConfigJson(config), {
    name: 'ens', platform: 'ensemble', backend: '', runtime: '', version_policy: { latest: { num_versions: 1 } },
    max_batch_size: 1,
    input: [{
      name: 'IN', data_type: 'TYPE_STRING', format: 'FORMAT_NONE', dims: [1], is_shape_tensor: false,
      allow_ragged_batch: false, optional: false, is_non_linear_format_io: false,
    }],
    output: [{
      name: 'OUT', data_type: 'TYPE_FP32', dims: [2], reshape: { shape: [1, 2] }, label_filename: '', is_shape_tensor: false,
      is_non_linear_format_io: false,
    }],
    batch_input: [], batch_output: [],
    ensemble_scheduling: {
      step: [{ model_name: 'a', model_version: -1, input_map: { x: 'IN' }, output_map: { y: 'OUT' }, model_namespace: '' }],
      max_inflight_requests: 0,
    },
    instance_group: [], default_model_filename: '', cc_model_filenames: {}, metric_tags: {}, parameters: {}, model_warmup: [],
  });
});

test('sequence batching: strategy first, controls and state; initial_state dims stay strings as in Triton', () => {
  const config: ModelConfig = parseModelConfigText(
    `sequence_batching {
       max_sequence_idle_microseconds: 7
       control_input [ { name: "START" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [ 0, 1 ] } ] } ]
       state [ { input_name: "si" output_name: "so" data_type: TYPE_INT32 dims: [ -1 ]
                 initial_state [ { data_type: TYPE_INT32 dims: [ 1 ] zero_data: true name: "z" } ] } ]
       oldest { max_candidate_sequences: 4 }
     }`,
    'c',
  );
  assertJson(renderConfigJson(config).sequence_batching, {
    oldest: { max_candidate_sequences: 4, preferred_batch_size: [], max_queue_delay_microseconds: 0, preserve_ordering: false },
    max_sequence_idle_microseconds: 7,
    control_input: [{
      name: 'START',
      control: [{ kind: 'CONTROL_SEQUENCE_START', int32_false_true: [0, 1], fp32_false_true: [], bool_false_true: [], data_type: 'TYPE_INVALID' }],
    }],
    state: [{
      input_name: 'si', output_name: 'so', data_type: 'TYPE_INT32', dims: [-1],
      initial_state: [{ data_type: 'TYPE_INT32', dims: ['1'], zero_data: true, name: 'z' }],
      use_same_buffer_for_input_output: false, use_growable_memory: false,
    }],
    iterative_sequence: false,
  });
});

test('python model with parameters, decoupled policy and KIND_MODEL group', () => {
  const config = loadLike(
    `backend: "python"
     model_transaction_policy { decoupled: true }
     parameters { key: "EXECUTION_ENV_PATH" value { string_value: "$$TRITON_MODEL_DIRECTORY/env.tar.gz" } }
     instance_group [ { kind: KIND_MODEL } ]`,
    'py',
  );
  const json = renderConfigJson(config);
  assert.deepEqual(Object.keys(json), [
    'name', 'platform', 'backend', 'runtime', 'version_policy', 'max_batch_size', 'input', 'output', 'batch_input',
    'batch_output', 'optimization', 'instance_group', 'default_model_filename', 'cc_model_filenames', 'metric_tags',
    'parameters', 'model_warmup', 'model_transaction_policy',
  ]);
  assertJson(json.instance_group, [{
    name: 'py_0', kind: 'KIND_MODEL', count: 1, gpus: [], secondary_devices: [], profile: [], passive: false, host_policy: '',
  }]);
  assertJson(json.parameters, { EXECUTION_ENV_PATH: { string_value: '$$TRITON_MODEL_DIRECTORY/env.tar.gz' } });
  assertJson(json.model_transaction_policy, { decoupled: true });
  assert.equal(json.platform, '');
  assert.equal(json.default_model_filename, 'model.py');
});

test('warmup inputs: only the chosen oneof member; dims are numbers', () => {
  const config = parseModelConfigText(
    `model_warmup [ { name: "w" batch_size: 2 inputs { key: "A" value { data_type: TYPE_FP32 dims: [ 4 ] random_data: true } }
       inputs { key: "B" value { data_type: TYPE_STRING dims: [ 1 ] input_data_file: "b.bin" } } } ]`,
    'c',
  );
  assertJson(renderConfigJson(config).model_warmup, [{
    name: 'w', batch_size: 2,
    inputs: {
      A: { data_type: 'TYPE_FP32', dims: [4], random_data: true },
      B: { data_type: 'TYPE_STRING', dims: [1], input_data_file: 'b.bin' },
    },
    count: 0,
  }]);
});

test('priority_queue_policy keys stay strings; uint64 values are numbers; device_id and cuda dims stay strings', () => {
  const json = renderConfigJson(parseModelConfigText(
    `dynamic_batching { priority_levels: 2 default_priority_level: 1
       priority_queue_policy { key: 2 value { default_timeout_microseconds: 10 } } }
     instance_group { secondary_devices { device_id: 3 } }
     optimization { cuda { graph_spec { input { key: "x" value { dim: [ 5 ] } } } } }`,
    'c',
  ));
  assertJson((json.dynamic_batching as Record<string, unknown>).priority_queue_policy, {
    2: { timeout_action: 'REJECT', default_timeout_microseconds: 10, allow_timeout_override: false, max_queue_size: 0 },
  });
  assertJson((json.instance_group as Record<string, unknown>[])[0]?.secondary_devices, [{ kind: 'KIND_NVDLA', device_id: '3' }]);
  const cuda = (json.optimization as Record<string, Record<string, unknown>>).cuda!;
  assertJson(cuda, {
    graphs: false, busy_wait_events: false,
    graph_spec: [{ batch_size: 0, input: { x: { dim: ['5'] } } }],
    output_copy_stream: false,
  });
});

test('non-finite floats render as protobuf JSON strings', () => {
  const json = renderConfigJson({ model_metrics: { metric_control: [{ histogram_options: { buckets: [NaN, Infinity, -Infinity, 0.5] } }] } });
  assertJson(json.model_metrics, { metric_control: [{ histogram_options: { buckets: ['NaN', 'Infinity', '-Infinity', 0.5] } }] });
});
