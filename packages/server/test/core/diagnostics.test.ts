/**
 * diagnostics_channel events of a real server (in-process API, identity backend with a dynamic batcher
 * in explicit model control): model load and unload, request start and finish, and the execution the
 * batcher formed from four requests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { createInferenceServer } from '../../src/create-server.js';
import {
  INFERD_CHANNELS, type ExecutionMessage, type ModelLoadMessage, type ModelUnloadMessage, type RequestFinishMessage,
  type RequestStartMessage,
} from '../../src/core/index.js';
import { makeRepo } from '../support/temp-repo.js';

const CONFIG = [
  'backend: "identity"', 'max_batch_size: 8',
  'input [ { name: "INPUT0" data_type: TYPE_INT32 dims: [ 1 ] } ]',
  'output [ { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 1 ] } ]',
  // The batch goes out when 4 requests are queued; the long delay keeps it from leaving earlier.
  'dynamic_batching { preferred_batch_size: [ 4 ] max_queue_delay_microseconds: 30000000 }',
].join('\n');

test('request start/finish, the execution a dynamic batch formed, and model load/unload are published', async () => {
  const seen: Record<string, unknown[]> = {};
  const subscriptions = Object.values(INFERD_CHANNELS).map((name) => {
    const fn = (message: unknown): void => {
      (seen[name] ??= []).push(message);
    };
    diagnostics.subscribe(name, fn);
    return () => diagnostics.unsubscribe(name, fn);
  });
  const repo = makeRepo({ 'batched/config.pbtxt': CONFIG, 'batched/1/': null });
  const { server } = await createInferenceServer({ modelRepository: repo.dir, modelControlMode: 'explicit' });
  try {
    await server.loadModel('batched');
    const loads = seen[INFERD_CHANNELS.modelLoad] as ModelLoadMessage[];
    assert.equal(loads.length, 1);
    assert.equal(loads[0]!.modelName, 'batched');
    assert.equal(loads[0]!.version, 1);
    assert.equal(loads[0]!.error, undefined);
    assert.ok(loads[0]!.durationSecs >= 0);

    const answers = await Promise.all([1, 2, 3, 4].map((v) => server.infer({
      modelName: 'batched', id: `r${v}`,
      inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1, 1], data: new Uint8Array(new Int32Array([v]).buffer) }],
    })));
    assert.deepEqual(answers.map((a) => a.error), [undefined, undefined, undefined, undefined]);
    const starts = seen[INFERD_CHANNELS.requestStart] as RequestStartMessage[];
    assert.deepEqual(starts.map((s) => s.id).sort(), ['r1', 'r2', 'r3', 'r4']);
    assert.ok(starts.every((s) => s.modelName === 'batched' && s.modelVersion === '1' && s.batchSize === 1));
    const executions = seen[INFERD_CHANNELS.execution] as ExecutionMessage[];
    assert.equal(executions.length, 1, JSON.stringify(executions));
    assert.equal(executions[0]!.modelName, 'batched');
    assert.equal(executions[0]!.requestCount, 4);
    assert.equal(executions[0]!.batchSize, 4);
    const finishes = seen[INFERD_CHANNELS.requestFinish] as RequestFinishMessage[];
    assert.deepEqual(finishes.map((f) => f.id).sort(), ['r1', 'r2', 'r3', 'r4']);
    assert.ok(finishes.every((f) => f.error === undefined && f.durationNs > 0 && !f.cacheHit));

    await server.unloadModel('batched');
    for (let i = 0; i < 100 && seen[INFERD_CHANNELS.modelUnload] === undefined; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(seen[INFERD_CHANNELS.modelUnload] as ModelUnloadMessage[], [{ modelName: 'batched', version: 1 }]);
  } finally {
    for (const off of subscriptions) off();
    await server.shutdown(5000);
    repo.cleanup();
  }
});
