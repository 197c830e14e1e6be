/**
 * MetricFamily values across a stub restart (kept by the server, as Triton's outlive a killed stub),
 * values staying in the stub when the server exports no metrics, and the python backend's
 * `--backend-config` keys of spec §10 (accepted; no-ops logged; unknown keys warned; bad integers refused).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createInferenceServer } from '../../src/index.js';
import { Logger } from '../../src/observability/log.js';
import { makeRepo } from '../support/temp-repo.js';

/** IN = -1: counts, then the stub kills itself; else counts and answers value(). */
const MODEL = `
import os
import signal
import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def initialize(self, args):
        self.family = pb_utils.MetricFamily("restart_requests", "Requests, across stub restarts", pb_utils.MetricFamily.COUNTER)
        self.count = self.family.Metric(labels={"model": args["model_name"]})

    def execute(self, requests):
        out = []
        for r in requests:
            self.count.increment(1)
            if float(pb_utils.get_input_tensor_by_name(r, "IN").as_numpy()[0]) < 0:
                os.kill(os.getpid(), signal.SIGKILL)
            out.append(pb_utils.InferenceResponse([pb_utils.Tensor("OUT", np.array([self.count.value()], np.float32))]))
        return out
`;

const CONFIG = 'backend: "python"\nmax_batch_size: 0\n'
  + 'input [ { name: "IN" data_type: TYPE_FP32 dims: [ 1 ] } ]\noutput [ { name: "OUT" data_type: TYPE_FP32 dims: [ 1 ] } ]';

const input = (x: number) => [{ name: 'IN', datatype: 'FP32' as const, shape: [1], data: new Uint8Array(new Float32Array([x]).buffer) }];
const outValue = (data: Uint8Array): number => new Float32Array(data.slice().buffer)[0]!;

async function serve(options: { metrics?: false; backendConfig?: string[]; explicit?: boolean } = {}) {
  const repo = makeRepo({ 'restarting/config.pbtxt': CONFIG, 'restarting/1/model.py': MODEL });
  const logs: string[] = [];
  const logger = new Logger({ info: true });
  logger.write = (line) => logs.push(line);
  try {
    const created = await createInferenceServer({
      modelRepository: repo.dir, logger, backendConfig: options.backendConfig ?? [],
      metrics: options.metrics === false ? false : { cpuMetrics: false },
      ...(options.explicit === true ? { modelControlMode: 'explicit' as const, loadModels: ['restarting'] } : {}),
    });
    return {
      ...created, logs,
      async close() {
        await created.server.shutdown(5000);
        created.metrics?.close();
        repo.cleanup();
      },
    };
  } catch (err) {
    repo.cleanup();
    throw err;
  }
}

test('a killed stub loses no counts: the restarted stub finds its series with the value', async () => {
  const s = await serve();
  try {
    for (let i = 1; i <= 3; i++) {
      const r = await s.server.infer({ modelName: 'restarting', inputs: input(i) });
      assert.equal(r.error, undefined);
      assert.equal(outValue(r.outputs[0]!.data), i);
    }
    const killed = await s.server.infer({ modelName: 'restarting', inputs: input(-1) }).catch((e: Error) => ({ error: e }));
    assert.notEqual(killed.error, undefined);
    const r = await s.server.infer({ modelName: 'restarting', inputs: input(1) });
    assert.equal(r.error, undefined);
    assert.equal(outValue(r.outputs[0]!.data), 5);
    const text = await s.metrics!.text();
    assert.match(text, /# HELP restart_requests Requests, across stub restarts\n# TYPE restart_requests counter\nrestart_requests\{model="restarting"\} 5\n/);
  } finally {
    await s.close();
  }
});

test('unloading the model takes its families off /metrics; loading it again starts them afresh', async () => {
  const s = await serve({ explicit: true });
  try {
    for (let i = 1; i <= 2; i++) assert.equal((await s.server.infer({ modelName: 'restarting', inputs: input(i) })).error, undefined);
    assert.match(await s.metrics!.text(), /\nrestart_requests\{model="restarting"\} 2\n/);
    await s.server.unloadModel('restarting');
    // The unload call returns before the instances have finished (finalize runs in the background).
    for (let i = 0; i < 500 && /restart_requests/.test(await s.metrics!.text()); i++) await new Promise((r) => setTimeout(r, 20));
    assert.doesNotMatch(await s.metrics!.text(), /restart_requests/);
    await s.server.loadModel('restarting');
    assert.match(await s.metrics!.text(), /\nrestart_requests\{model="restarting"\} 0\n/);
    const r = await s.server.infer({ modelName: 'restarting', inputs: input(1) });
    assert.equal(outValue(r.outputs[0]!.data), 1);
  } finally {
    await s.close();
  }
});

test('with metrics off, MetricFamily values stay in the stub and value() reads them there', async () => {
  const s = await serve({ metrics: false });
  try {
    for (let i = 1; i <= 2; i++) {
      const r = await s.server.infer({ modelName: 'restarting', inputs: input(i) });
      assert.equal(r.error, undefined);
      assert.equal(outValue(r.outputs[0]!.data), i);
    }
    assert.equal(s.metrics, undefined);
  } finally {
    await s.close();
  }
});

test('--backend-config=python,...: Triton\'s keys are accepted, no-ops logged, unknown keys warned', async () => {
  const s = await serve({
    backendConfig: [
      'python,shm-default-byte-size=2097152', 'python,shm-growth-byte-size=1048577', 'python,shm_message_queue_size=999',
      'python,shm-region-prefix-name=prefix_for_test', 'python,thread-pool-size=7', 'python,stub-timeout-seconds=45',
      'python,no-such-key-for-test=1',
    ],
  });
  try {
    const r = await s.server.infer({ modelName: 'restarting', inputs: input(1) });
    assert.equal(r.error, undefined);
    for (const kv of ['shm-default-byte-size=2097152', 'shm-growth-byte-size=1048577', 'shm_message_queue_size=999',
      'shm-region-prefix-name=prefix_for_test', 'thread-pool-size=7']) {
      assert.ok(s.logs.some((l) => l.includes(`'${kv}' accepted; no effect in inferd`)), `${kv} not logged:\n${s.logs.join('\n')}`);
    }
    assert.ok(s.logs.some((l) => l.includes("ignoring unknown --backend-config key 'no-such-key-for-test'")));
  } finally {
    await s.close();
  }
});

test('--backend-config=python,shm-default-byte-size=<not an integer> fails the load, as in Triton', async () => {
  await assert.rejects(serve({ backendConfig: ['python,shm-default-byte-size=lots'] }), /failed to load all models/);
});
