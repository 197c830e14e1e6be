/**
 * inferd's triton_python_backend_utils on its own (real Python, no server): the helper functions,
 * constants, Tensor, ModelConfig's auto-complete rules and the local metrics, checked against the
 * values Triton's module gives.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { pythonInterpreter, stubDirectory } from '../../src/backends/python/interpreter.js';

const SCRIPT = String.raw`
import json, sys
import numpy as np
import triton_python_backend_utils as pb

out = {}
out["constants"] = [pb.TRITONSERVER_REQUEST_FLAG_SEQUENCE_START, pb.TRITONSERVER_REQUEST_FLAG_SEQUENCE_END,
                    pb.TRITONSERVER_RESPONSE_COMPLETE_FINAL, pb.TRITONSERVER_REQUEST_RELEASE_ALL,
                    pb.TRITONSERVER_REQUEST_RELEASE_RESCHEDULE]
out["to_triton"] = [pb.numpy_to_triton_type(t) for t in (bool, np.uint8, np.uint16, np.uint32, np.uint64, np.int8,
                    np.int16, np.int32, np.int64, np.float16, np.float32, np.float64, np.object_, np.bytes_)]
out["to_numpy"] = [np.dtype(pb.triton_to_numpy_type(i)).name for i in range(1, 14)]
out["from_string"] = [np.dtype(pb.triton_string_to_numpy(s)).name for s in ("TYPE_BOOL", "TYPE_FP16", "TYPE_INT64", "TYPE_STRING")]
enc = pb.serialize_byte_tensor(np.array([[b"ab", "c\u00e9"]], dtype=np.object_))
out["serialized"] = list(enc.item())
out["deserialized"] = [b.decode("utf-8") for b in pb.deserialize_bytes_tensor(enc)]
t = pb.Tensor("T", np.arange(6, dtype=np.int16).reshape(2, 3))
out["tensor"] = [t.name(), t.triton_dtype(), t.shape(), t.is_cpu(), pb.Tensor.from_dlpack("U", t.to_dlpack()).as_numpy().tolist()]
try:
    pb.Tensor("bad", [1, 2])
except pb.TritonModelException as e:
    out["tensor_error"] = str(e)
err = pb.TritonError("boom")
out["error"] = [err.message(), err.code() == pb.TritonError.INTERNAL, pb.TritonError("x", pb.TritonError.NOT_FOUND).code()]
resp = pb.InferenceResponse(output_tensors=[t], error=None, parameters={"k": 1})
out["response"] = [resp.has_error(), pb.get_output_tensor_by_name(resp, "T").name(), pb.get_output_tensor_by_name(resp, "nope"), json.loads(resp.parameters())]
cfg = {"name": "m", "max_batch_size": 8, "input": [{"name": "A", "data_type": "TYPE_FP32", "dims": [3]}], "output": []}
out["config_helpers"] = [pb.get_input_config_by_name(cfg, "A")["dims"], pb.get_output_config_by_name(cfg, "A"),
                         pb.using_decoupled_model_transaction_policy(cfg),
                         pb.using_decoupled_model_transaction_policy({"model_transaction_policy": {"decoupled": True}})]
mc = pb.ModelConfig(cfg)
errors = []
for f in (lambda: mc.set_max_batch_size(4), lambda: mc.add_input({"name": "A", "data_type": "TYPE_FP32", "dims": [4]}),
          lambda: mc.add_output({"name": "O", "data_type": "TYPE_FP32"}),
          lambda: mc.add_input({"name": "B", "data_type": "TYPE_FP32", "dims": [1], "shape": [1]}),
          lambda: pb.ModelConfig({"sequence_batching": {}}).set_dynamic_batching()):
    try:
        f()
        errors.append(None)
    except ValueError as e:
        errors.append(str(e))
out["model_config_errors"] = errors
mc.set_max_batch_size(16)
mc.add_input({"name": "A", "data_type": "TYPE_FP32", "dims": [3], "optional": True})
mc.add_output({"name": "O", "data_type": "TYPE_INT8", "dims": [-1]})
mc.set_model_transaction_policy({"decoupled": True})
out["model_config"] = mc.as_dict()
g = pb.MetricFamily("g", "a gauge", pb.MetricFamily.GAUGE).Metric(labels={"x": "1"})
g.set(5); g.increment(-2)
c = pb.MetricFamily("c", "a counter", pb.MetricFamily.COUNTER).Metric()
c.increment(3)
try:
    c.increment(-1)
except pb.TritonModelException as e:
    out["counter_error"] = str(e)
out["metrics"] = [g.value(), c.value()]
print(json.dumps(out))
`;

test('triton_python_backend_utils helpers, constants, Tensor, ModelConfig and metrics', () => {
  const out = JSON.parse(execFileSync(pythonInterpreter({}), ['-c', SCRIPT], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: stubDirectory(), PYTHONDONTWRITEBYTECODE: '1' } }));
  assert.deepEqual(out.constants, [1, 2, 1, 1, 2]);
  assert.deepEqual(out.to_triton, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 13]);
  assert.deepEqual(out.to_numpy, ['bool', 'uint8', 'uint16', 'uint32', 'uint64', 'int8', 'int16', 'int32', 'int64', 'float16', 'float32', 'float64', 'object']);
  assert.deepEqual(out.from_string, ['bool', 'float16', 'int64', 'object']);
  assert.deepEqual(out.serialized, [2, 0, 0, 0, 97, 98, 3, 0, 0, 0, 99, 0xc3, 0xa9]);
  assert.deepEqual(out.deserialized, ['ab', 'cé']);
  assert.deepEqual(out.tensor, ['T', 7, [2, 3], true, [[0, 1, 2], [3, 4, 5]]]);
  assert.equal(out.tensor_error, "Tensor 'bad': data must be a numpy array, got list");
  assert.deepEqual(out.error, ['boom', true, 2]);
  assert.deepEqual(out.response, [false, 'T', null, { k: 1 }]);
  assert.deepEqual(out.config_helpers, [[3], null, false, true]);
  assert.deepEqual(out.model_config_errors, [
    "configuration specified max_batch_size 8, but in auto-complete-config function for model 'm' specified max_batch_size 4",
    "model 'm', tensor 'A': the model expects dims [4] but the model configuration specifies dims [3]",
    "output in auto-complete-config function for model 'm' is missing 'dims' property.",
    "input 'B' in auto-complete-config function for model 'm' contains property other than name, data_type, dims, optional: 'shape'",
    "Configuration specified scheduling_choice as 'sequence_batching', but auto-complete-config function for model '' tries to set scheduling_choice as 'dynamic_batching'",
  ]);
  assert.deepEqual(out.model_config, {
    name: 'm', max_batch_size: 16,
    input: [{ name: 'A', data_type: 'TYPE_FP32', dims: [3], optional: true }],
    output: [{ name: 'O', data_type: 'TYPE_INT8', dims: [-1] }],
    model_transaction_policy: { decoupled: true },
  });
  assert.equal(out.counter_error, 'a counter cannot be decremented');
  assert.deepEqual(out.metrics, [3, 3]);
});
