// The model of bench/python-pipeline: a Python model with one [3,224,224] FP32 input (600 KB a request),
// dynamic batching up to max_batch_size, and an execute that sleeps a fixed time per batch (a GPU's batch
// time: the stub waits, the cores stay free for the server) and answers each request from its own bytes
// (the first 1000 floats of its input). Prints the repository's path.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MODEL_PY = `import json
import time

import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def initialize(self, args):
        params = json.loads(args["model_config"])["parameters"]
        self.exec_s = float(params["exec_ms"]["string_value"]) / 1000

    def execute(self, requests):
        time.sleep(self.exec_s)
        responses = []
        for r in requests:
            x = pb_utils.get_input_tensor_by_name(r, "INPUT0").as_numpy()
            head = np.ascontiguousarray(x.reshape(x.shape[0], -1)[:, :1000])
            responses.append(pb_utils.InferenceResponse([pb_utils.Tensor("OUTPUT0", head)]))
        return responses
`;

export function makeRepo({ maxBatch, delayUs, execMs }) {
  const repo = mkdtempSync(join(tmpdir(), 'inferd-pipeline-'));
  const dir = join(repo, 'pipe_py');
  mkdirSync(join(dir, '1'), { recursive: true });
  writeFileSync(join(dir, '1', 'model.py'), MODEL_PY);
  writeFileSync(join(dir, 'config.pbtxt'), [
    'backend: "python"',
    `max_batch_size: ${maxBatch}`,
    'input [{ name: "INPUT0" data_type: TYPE_FP32 dims: [3, 224, 224] }]',
    'output [{ name: "OUTPUT0" data_type: TYPE_FP32 dims: [1000] }]',
    'instance_group [{ count: 1 kind: KIND_CPU }]',
    `dynamic_batching { max_queue_delay_microseconds: ${delayUs} }`,
    `parameters { key: "exec_ms" value: { string_value: "${execMs}" } }`,
    '',
  ].join('\n'));
  return repo;
}
