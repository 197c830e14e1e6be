/**
 * The ONNX Runtime backend with sequence tensors, without a sequence batcher: requests carry the control
 * and state inputs a batcher would inject (ModelSpec.internalInputs) and name the state outputs
 * (internalOutputs); the backend feeds, batches, fetches and splits them like config tensors. Load-time
 * validation knows control/state tensors. Models: the committed `accumulator` and the real Silero VAD.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import backend from '../../src/backends/onnxruntime/index.js';
import { InferenceRequest, ServerError, type ExecutionInstance, type InferenceResponse, type ModelSpec, type Tensor } from '../../src/core/index.js';
import { validateRequest } from '../../src/core/validate.js';
import { parseModelConfigText, toModelSpec, type ModelConfig } from '../../src/config/index.js';
import { bytesOf, existingModel, i32, readF32, readI32 } from './helpers.js';
import { CHUNK, SAMPLE_RATE, STATE_ELEMENTS, maxAbsDiff, referenceVad, synthesizeAudio } from '../sequence-models/vad-reference.js';

const models = fileURLToPath(new URL('../../../../examples/models/', import.meta.url));

function exampleConfig(name: string): ModelConfig {
  return parseModelConfigText(readFileSync(join(models, name, 'config.pbtxt'), 'utf8'), `${name}/config.pbtxt`);
}

interface Loaded {
  readonly spec: ModelSpec;
  readonly instance: ExecutionInstance;
}

async function withExample(name: string, config: ModelConfig, body: (m: Loaded) => Promise<void>): Promise<void> {
  const spec = toModelSpec(config, 1, new Map());
  const model = await backend.createModel(existingModel(join(models, name), name, config));
  const instance = await model.createInstance({ name: `${name}_0_0`, kind: 'KIND_CPU', deviceId: 0, config, spec });
  try {
    await body({ spec, instance });
  } finally {
    await instance.dispose();
    await model.dispose();
  }
}

interface Sent {
  readonly request: InferenceRequest;
  readonly responses: InferenceResponse[];
}

/**
 * What a sequence batcher hands the instance: the client's inputs validated by core, plus the internal
 * inputs, with the state outputs added to the requested outputs.
 */
function sequenceRequest(spec: ModelSpec, client: readonly Tensor[], internal: readonly Tensor[], stateOutputs: readonly string[]): Sent {
  const { batchSize, requestedOutputs } = validateRequest({ modelName: spec.name, inputs: client }, spec);
  const responses: InferenceResponse[] = [];
  const request = new InferenceRequest({
    init: { modelName: spec.name, inputs: [...client, ...internal] },
    modelVersion: 1,
    requestedOutputs: [...requestedOutputs, ...stateOutputs.map((name) => ({ name }))],
    batchSize,
    received: 1,
    sink: (r) => responses.push(r),
  });
  return { request, responses };
}

function outputsOf(s: Sent): Map<string, Tensor> {
  assert.equal(s.responses.length, 1);
  const r = s.responses[0]!;
  if (r.error !== undefined) throw r.error;
  return new Map(r.outputs.map((o) => [o.name, o]));
}

const int32 = (name: string, values: readonly number[]): Tensor =>
  ({ name, datatype: 'INT32', shape: [values.length, 1], data: i32(values) });

test('accumulator: START and ACC_IN are fed, ACC_OUT fetched and split per request of a batch', async () => {
  await withExample('accumulator', exampleConfig('accumulator'), async ({ spec, instance }) => {
    assert.deepEqual(spec.internalInputs.map((t) => [t.name, t.datatype, t.dims]), [['START', 'INT32', [1]], ['ACC_IN', 'INT32', [1]]]);
    assert.deepEqual(spec.internalOutputs.map((t) => [t.name, t.datatype, t.dims]), [['ACC_OUT', 'INT32', [1]]]);
    // Three sequences in one batch (a batcher's slots): one starting, two continuing; the middle one
    // is batch 2 (two rows) and only it asks for nothing but the state.
    const a = sequenceRequest(spec, [int32('INPUT', [5])], [int32('START', [1]), int32('ACC_IN', [99])], ['ACC_OUT']);
    const b = sequenceRequest(spec, [int32('INPUT', [7, 8])], [int32('START', [0, 0]), int32('ACC_IN', [10, 20])], ['ACC_OUT']);
    const c = sequenceRequest(spec, [int32('INPUT', [-3])], [int32('START', [0]), int32('ACC_IN', [4])], []);
    await instance.execute([a.request, b.request, c.request]);
    const oa = outputsOf(a);
    assert.deepEqual([...oa.keys()], ['OUTPUT', 'ACC_OUT']);
    assert.deepEqual(readI32(oa.get('OUTPUT')!.data), [5]);
    assert.deepEqual(oa.get('ACC_OUT')!.shape, [1, 1]);
    assert.deepEqual(readI32(oa.get('ACC_OUT')!.data), [5]);
    const ob = outputsOf(b);
    assert.deepEqual(ob.get('OUTPUT')!.shape, [2, 1]);
    assert.deepEqual(readI32(ob.get('OUTPUT')!.data), [17, 28]);
    assert.deepEqual(readI32(ob.get('ACC_OUT')!.data), [17, 28]);
    const oc = outputsOf(c);
    assert.deepEqual([...oc.keys()], ['OUTPUT'], 'state outputs only when requested');
    assert.deepEqual(readI32(oc.get('OUTPUT')!.data), [1]);
  });
});

test('accumulator: a sequence with the state carried by hand gives running sums, same as the model run directly', async () => {
  const values = [3, 1, 4, 1, 5, 9, 2, 6];
  // Reference: the same ONNX file in an InferenceSession on this thread.
  const session = await ort.InferenceSession.create(join(models, 'accumulator', '1', 'model.onnx'));
  const expected: number[] = [];
  let acc = 0;
  for (let i = 0; i < values.length; i++) {
    const t = (v: number): ort.Tensor => new ort.Tensor('int32', Int32Array.from([v]), [1, 1]);
    const r = await session.run({ INPUT: t(values[i]!), START: t(i === 0 ? 1 : 0), ACC_IN: t(acc) });
    acc = (r.ACC_OUT!.data as Int32Array)[0]!;
    expected.push((r.OUTPUT!.data as Int32Array)[0]!);
  }
  await session.release();
  assert.deepEqual(expected, [3, 4, 8, 9, 14, 23, 25, 31]);

  await withExample('accumulator', exampleConfig('accumulator'), async ({ spec, instance }) => {
    const got: number[] = [];
    // The garbage initial ACC_IN is ignored because START is 1 (state reset).
    let state: Tensor = int32('ACC_IN', [12345]);
    for (let i = 0; i < values.length; i++) {
      const s = sequenceRequest(spec, [int32('INPUT', [values[i]!])], [int32('START', [i === 0 ? 1 : 0]), state], ['ACC_OUT']);
      await instance.execute([s.request]);
      const out = outputsOf(s);
      got.push(readI32(out.get('OUTPUT')!.data)[0]!);
      state = { ...out.get('ACC_OUT')!, name: 'ACC_IN' };
    }
    assert.deepEqual(got, expected);
  });
});

test('clients may not send control/state inputs nor ask for state outputs (core validation)', async () => {
  const spec = toModelSpec(exampleConfig('accumulator'), 1, new Map());
  const send = (inputs: Tensor[], outputs?: { name: string }[]): unknown => {
    try {
      validateRequest({ modelName: 'accumulator', inputs, ...(outputs ? { outputs } : {}) }, spec);
      return undefined;
    } catch (err) {
      return err instanceof ServerError ? [err.code, err.message] : err;
    }
  };
  assert.deepEqual(send([int32('INPUT', [1]), int32('START', [1])]),
    ['INVALID_ARG', "unexpected inference input 'START' for model 'accumulator'"]);
  assert.deepEqual(send([int32('INPUT', [1]), int32('ACC_IN', [1])]),
    ['INVALID_ARG', "unexpected inference input 'ACC_IN' for model 'accumulator'"]);
  assert.deepEqual(send([int32('INPUT', [1])], [{ name: 'ACC_OUT' }]),
    ['INVALID_ARG', "unexpected inference output 'ACC_OUT' for model 'accumulator'"]);
  assert.equal(send([int32('INPUT', [1])]), undefined);
});

test('silero_vad: 20 chunks with h/c carried through the backend match the model run directly (1e-5)', async () => {
  const chunks = synthesizeAudio(20, 8);
  const reference = await referenceVad(chunks);
  await withExample('silero_vad', exampleConfig('silero_vad'), async ({ spec, instance }) => {
    assert.deepEqual(spec.internalInputs.map((t) => [t.name, t.dims]), [['h', [2, 1, 64]], ['c', [2, 1, 64]]]);
    const sr: Tensor = { name: 'sr', datatype: 'INT64', shape: [1], data: bytesOf(BigInt64Array.from([BigInt(SAMPLE_RATE)])) };
    const zeros = (name: string): Tensor => ({ name, datatype: 'FP32', shape: [2, 1, 64], data: bytesOf(new Float32Array(STATE_ELEMENTS)) });
    let h = zeros('h');
    let c = zeros('c');
    for (let i = 0; i < chunks.length; i++) {
      const input: Tensor = { name: 'input', datatype: 'FP32', shape: [1, CHUNK], data: bytesOf(chunks[i]!) };
      const s = sequenceRequest(spec, [input, sr], [h, c], ['hn', 'cn']);
      await instance.execute([s.request]);
      const out = outputsOf(s);
      assert.deepEqual(out.get('output')!.shape, [1, 1]);
      assert.deepEqual(out.get('hn')!.shape, [2, 1, 64]);
      const p = readF32(out.get('output')!.data)[0]!;
      const ref = reference[i]!;
      assert.ok(Math.abs(p - ref.probability) <= 1e-5, `chunk ${i}: ${p} vs ${ref.probability}`);
      assert.ok(maxAbsDiff(readF32(out.get('hn')!.data), ref.hn) <= 1e-5, `chunk ${i} hn`);
      assert.ok(maxAbsDiff(readF32(out.get('cn')!.data), ref.cn) <= 1e-5, `chunk ${i} cn`);
      h = { ...out.get('hn')!, name: 'h' };
      c = { ...out.get('cn')!, name: 'c' };
    }
    // The state matters: the last chunk run from a zero state gives another probability.
    const fresh = sequenceRequest(spec, [
      { name: 'input', datatype: 'FP32', shape: [1, CHUNK], data: bytesOf(chunks[19]!) }, sr,
    ], [zeros('h'), zeros('c')], []);
    await instance.execute([fresh.request]);
    assert.notEqual(readF32(outputsOf(fresh).get('output')!.data)[0], reference[19]!.probability);
  });
});

/** Load-time validation of a config against the accumulator file, as the model loader runs it. */
async function loadError(config: ModelConfig): Promise<[string, string] | undefined> {
  const name = 'accumulator';
  const full = { ...config, name };
  try {
    await withExample(name, full, async () => {});
    return undefined;
  } catch (err) {
    if (!(err instanceof ServerError)) throw err;
    return [err.code, err.message];
  }
}

test('load validation: control and state tensors are known model inputs, checked for dims and datatype', async () => {
  const base = exampleConfig('accumulator');
  const seq = base.sequence_batching!;
  const state = seq.state![0]!;
  assert.equal(await loadError(base), undefined);
  // Without sequence_batching the model has two inputs the config does not account for.
  const { sequence_batching: _dropped, ...plain } = base;
  assert.deepEqual(await loadError(plain), ['INVALID_ARG', "unable to load model 'accumulator', configuration expects 1 inputs, model provides 3"]);
  assert.deepEqual(await loadError({ ...base, sequence_batching: { ...seq, control_input: [{ name: 'BEGIN', control: [{ kind: 'CONTROL_SEQUENCE_START', int32_false_true: [0, 1] }] }] } }),
    ['INTERNAL', "configuration specified sequence control 'BEGIN', but model does not provide that input"]);
  assert.deepEqual(await loadError({ ...base, sequence_batching: { ...seq, control_input: [{ name: 'START', control: [{ kind: 'CONTROL_SEQUENCE_START', fp32_false_true: [0, 1] }] }] } }),
    ['INVALID_ARG', "unable to load model 'accumulator', sequence control 'START', the model expects data-type INT32 but the model configuration specifies data-type TYPE_FP32"]);
  assert.deepEqual(await loadError({ ...base, sequence_batching: { ...seq, control_input: [{ name: 'INPUT', control: [{ kind: 'CONTROL_SEQUENCE_START', int32_false_true: [0, 1] }] }], state: [] } }),
    ['INVALID_ARG', "unable to load model 'accumulator', configuration expects 2 inputs, model provides 3"]);
  assert.deepEqual(await loadError({ ...base, sequence_batching: { ...seq, state: [{ ...state, data_type: 'TYPE_INT64' }] } }),
    ['INVALID_ARG', "unable to load model 'accumulator', configuration expects datatype TYPE_INT64 for input state 'ACC_IN', model provides TYPE_INT32"]);
  assert.deepEqual(await loadError({ ...base, sequence_batching: { ...seq, state: [{ ...state, dims: [2] }] } }),
    ['INVALID_ARG', "unable to load model 'accumulator', input state 'ACC_IN': the model expects shape [-1,1] but the state dims give [-1,2] (batch dimension first, as max_batch_size > 0)"]);
  assert.deepEqual(await loadError({ ...base, sequence_batching: { ...seq, state: [{ ...state, output_name: 'ACC' }] } }),
    ['INVALID_ARG', "unable to load model 'accumulator', state output 'ACC' is not a model output; the model's outputs are: ACC_OUT, OUTPUT"]);
});

test('load validation: a control tensor whose model dims are not [1] is refused', async () => {
  // INPUT is [batch, 1] too, so use the VAD's [batch, samples] input as a control to see the dims check.
  const base = exampleConfig('silero_vad');
  const config: ModelConfig = {
    ...base,
    input: base.input!.filter((i) => i.name === 'sr'),
    sequence_batching: { ...base.sequence_batching!, control_input: [{ name: 'input', control: [{ kind: 'CONTROL_SEQUENCE_START', fp32_false_true: [0, 1] }] }] },
  };
  await assert.rejects(withExample('silero_vad', config, async () => {}), (err: unknown) => {
    assert.ok(err instanceof ServerError);
    assert.equal(err.message, "unable to load model 'silero_vad', sequence control 'input' in model has dims [-1,-1] but dims [1] is expected");
    return true;
  });
});
