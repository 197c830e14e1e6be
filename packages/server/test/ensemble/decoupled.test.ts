/**
 * Ensembles with a decoupled producer (built-in `repeat`) in process: one ensemble response per
 * produced element, `max_inflight_requests` bounding the downstream requests in flight, and a
 * sequence model (accumulator) inside an ensemble keeping its state across the ensemble's requests.
 */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import type { InferenceResponse } from '../../src/index.js';
import { ensembleConfig, examplesDir, gate, gateBackendDir, int32, readInt32, startServer, step, type Started } from './support.js';

const I32 = (name: string, dims = '[ 1 ]') => `{ name: "${name}" data_type: TYPE_INT32 dims: ${dims} }`;

/** repeat_int32 -> gated INT32 echo (three instances), with an optional max_inflight_requests. */
const fanOut = (name: string, limit: number) => ensembleConfig(name, `input [ ${I32('IN', '[ -1 ]')} ]
output [ ${I32('OUT')} ]
ensemble_scheduling {
  ${limit > 0 ? `max_inflight_requests: ${limit}` : ''}
  ${step('repeat_int32', { IN: 'IN' }, { OUT: 'element' })}
  ${step('gated_i32', { IN: 'element' }, { OUT: 'OUT' })}
}`);

const ACC_ENS = ensembleConfig('acc_ens', `input [ ${I32('X')} ]
output [ ${I32('SUM')} ]
ensemble_scheduling { ${step('accumulator', { INPUT: 'X' }, { OUTPUT: 'SUM' })} }`, 8);

let backends: string;
let s: Started;

before(async () => {
  backends = gateBackendDir();
  s = await startServer({
    'repeat_int32/config.pbtxt': readFileSync(`${examplesDir}/repeat_int32/config.pbtxt`, 'utf8'), 'repeat_int32/1/': null,
    'gated_i32/config.pbtxt': ['backend: "test_gate"', 'max_batch_size: 0', `input [ ${I32('IN')} ]`, `output [ ${I32('OUT')} ]`,
      'instance_group [ { count: 3 kind: KIND_CPU } ]'].join('\n'),
    'gated_i32/1/': null,
    'fan/config.pbtxt': fanOut('fan', 0), 'fan/1/': null,
    'fan_limited/config.pbtxt': fanOut('fan_limited', 1), 'fan_limited/1/': null,
    'accumulator/config.pbtxt': readFileSync(`${examplesDir}/accumulator/config.pbtxt`, 'utf8'),
    'accumulator/1/model.onnx': readFileSync(`${examplesDir}/accumulator/1/model.onnx`),
    'acc_ens/config.pbtxt': ACC_ENS, 'acc_ens/1/': null,
  }, { backendDirectory: backends });
  assert.deepEqual(s.failed, []);
});

after(async () => {
  gate.reset();
  await s.close();
  rmSync(backends, { recursive: true, force: true });
});

beforeEach(() => gate.reset());

/** Streams one request; resolves with every response once the final one arrives. */
function stream(model: string, values: number[]): Promise<InferenceResponse[]> {
  const responses: InferenceResponse[] = [];
  return new Promise((resolve, reject) => {
    s.server.inferStream({ modelName: model, inputs: [{ name: 'IN', datatype: 'INT32', shape: [values.length], data: int32(values) }] }, (r) => {
      if (r.error !== undefined) reject(r.error);
      responses.push(r);
      if (r.final) resolve(responses);
    });
  });
}

const values = (responses: InferenceResponse[]) =>
  responses.filter((r) => r.outputs.length > 0).map((r) => readInt32(r.outputs[0]!.data)[0]).sort();

test('without a limit every response of the decoupled step starts its downstream request at once', async () => {
  const done = stream('fan', [1, 2, 3]);
  await gate.until(() => gate.held().length === 3, 'three downstream requests');
  gate.release('gated_i32');
  const responses = await done;
  assert.deepEqual(values(responses), [1, 2, 3]);
  assert.deepEqual(responses.map((r) => r.final), [false, false, false, true]);
  assert.equal(responses.at(-1)!.outputs.length, 0, 'the final response carries no outputs');
});

test('max_inflight_requests: 1 keeps one downstream request in flight; the rest wait in the ensemble', async () => {
  const done = stream('fan_limited', [1, 2, 3]);
  for (let n = 1; n <= 3; n++) {
    await gate.until(() => gate.held().length === 1 && gate.state.log.length === n, `downstream request ${n}`);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(gate.held().length, 1, 'never more than one in flight');
    gate.release('gated_i32');
  }
  assert.deepEqual(values(await done), [1, 2, 3]);
});

test('a sequence model inside an ensemble: correlation id and start/end flags reach it, state carries over', async () => {
  const send = async (x: number, flags: number) => {
    const out = await s.server.infer({
      modelName: 'acc_ens', correlationId: 77n, flags,
      inputs: [{ name: 'X', datatype: 'INT32', shape: [1, 1], data: int32([x]) }],
    });
    return readInt32(out.outputs[0]!.data)[0];
  };
  assert.equal(await send(5, 1), 5);
  assert.equal(await send(3, 0), 8);
  assert.equal(await send(10, 2), 18);
});
