/**
 * The sequence batcher under a ManualClock, over the record backend (support.ts): slot affinity,
 * control tensors (values, dtypes, shapes), implicit state, backlog, idle release, cancellation, direct
 * and oldest batching, stop(). Time only moves when a test advances the clock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo } from '../support/temp-repo.js';
import type { InferenceResponse } from '../../src/core/index.js';
import {
  END, START, directHarness, outputValue, seqConfig, settle, until, type RecordedRequest,
} from './support.js';

const CONTROLS = `
  control_input [
    { name: "START" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [ 0, 1 ] } ] },
    { name: "END" control [ { kind: CONTROL_SEQUENCE_END fp32_false_true: [ 0.5, 1.5 ] } ] },
    { name: "READY" control [ { kind: CONTROL_SEQUENCE_READY bool_false_true: [ false, true ] } ] },
    { name: "CORRID" control [ { kind: CONTROL_SEQUENCE_CORRID data_type: TYPE_UINT64 } ] }
  ]`;

const ACC_STATE = `
  state [ { input_name: "ACC_IN" output_name: "ACC_OUT" data_type: TYPE_INT32 dims: [ 1 ]
            initial_state: { data_type: TYPE_INT32 dims: [ 1 ] zero_data: true name: "zero" } } ]`;

function int32Of(bytes: number[]): number {
  return new DataView(new Uint8Array(bytes).buffer).getInt32(0, true);
}
function fp32Of(bytes: number[]): number {
  return new DataView(new Uint8Array(bytes).buffer).getFloat32(0, true);
}
function uint64Of(bytes: number[]): bigint {
  return new DataView(new Uint8Array(bytes).buffer).getBigUint64(0, true);
}

function pending(p: Promise<InferenceResponse>): { done: boolean; value?: InferenceResponse } {
  const box: { done: boolean; value?: InferenceResponse } = { done: false };
  void p.then((v) => {
    box.done = true;
    box.value = v;
  });
  return box;
}

test('controls: START/END/READY carry the configured values and dtypes, CORRID the uint64 id; shapes [1] without batching', async () => {
  const h = await directHarness(seqConfig(CONTROLS + ACC_STATE));
  const id = 2n ** 63n + 5n;
  assert.equal(outputValue(await h.send(id, 10, { flags: START })), 10);
  assert.equal(outputValue(await h.send(id, 20)), 30);
  const last = await h.send(id, 30, { flags: END });
  assert.equal(outputValue(last), 60);
  assert.deepEqual(last.outputs.map((t) => t.name), ['OUTPUT'], 'state outputs never reach the client');

  const rows = h.record.log.map((e) => e.requests[0]!);
  assert.equal(rows.length, 3);
  for (const r of rows) {
    assert.equal(r.inputs.START!.datatype, 'INT32');
    assert.equal(r.inputs.END!.datatype, 'FP32');
    assert.equal(r.inputs.READY!.datatype, 'BOOL');
    assert.equal(r.inputs.CORRID!.datatype, 'UINT64');
    for (const name of ['START', 'END', 'READY', 'CORRID', 'ACC_IN']) assert.deepEqual(r.inputs[name]!.shape, [1], name);
    assert.equal(uint64Of(r.inputs.CORRID!.bytes), id);
    assert.deepEqual(r.inputs.READY!.bytes, [1]);
    assert.deepEqual(r.outputs, ['OUTPUT', 'ACC_OUT']);
  }
  assert.deepEqual(rows.map((r) => int32Of(r.inputs.START!.bytes)), [1, 0, 0]);
  assert.deepEqual(rows.map((r) => fp32Of(r.inputs.END!.bytes)), [0.5, 0.5, 1.5]);
  assert.deepEqual(rows.map((r) => int32Of(r.inputs.ACC_IN!.bytes)), [0, 10, 30], 'state of request i+1 = state output of request i');
});

test('state: carried across requests, reset by a new START (also without END), dropped at END', async () => {
  const h = await directHarness(seqConfig(ACC_STATE));
  assert.equal(outputValue(await h.send(7n, 1, { flags: START })), 1);
  assert.equal(outputValue(await h.send(7n, 2)), 3);
  assert.equal(outputValue(await h.send(7n, 3)), 6);
  assert.equal(outputValue(await h.send(7n, 4, { flags: START })), 4, 'a START restarts the state');
  assert.equal(outputValue(await h.send(7n, 5, { flags: END })), 9);
  assert.equal(outputValue(await h.send(7n, 100, { flags: START | END })), 100, 'a new sequence after END starts from the initial state');
});

test('batching model: controls are [1, 1] per request; CORRID INT32 keeps the low 32 bits; STRING CORRID is length-prefixed', async () => {
  const int32Corrid = `control_input [ { name: "CORRID" control [ { kind: CONTROL_SEQUENCE_CORRID data_type: TYPE_INT32 } ] },
    { name: "S" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [ 0, 1 ] } ] } ]`;
  const h = await directHarness(seqConfig(int32Corrid + ACC_STATE, { maxBatch: 4 }));
  const id = 0x1_0000_0005n;
  assert.equal(outputValue(await h.send(id, 3, { flags: START })), 3);
  assert.equal(outputValue(await h.send(id, 4, { flags: END })), 7);
  const r = h.record.log[0]!.requests[0]!;
  assert.deepEqual(r.inputs.CORRID, { datatype: 'INT32', shape: [1, 1], bytes: [5, 0, 0, 0] });
  assert.deepEqual(r.inputs.S!.shape, [1, 1]);
  assert.deepEqual(r.inputs.ACC_IN!.shape, [1, 1]);

  const stringCorrid = 'control_input [ { name: "CORRID" control [ { kind: CONTROL_SEQUENCE_CORRID data_type: TYPE_STRING } ] } ]';
  const s = await directHarness(seqConfig(stringCorrid, { maxBatch: 2 }));
  assert.equal(outputValue(await s.send('utt-é', 1, { flags: START | END })), 1);
  const text = Buffer.from('utt-é', 'utf8');
  assert.deepEqual(s.record.log[0]!.requests[0]!.inputs.CORRID, {
    datatype: 'BYTES', shape: [1, 1], bytes: [text.byteLength, 0, 0, 0, ...text],
  });
});

test('initial_state data_file: raw little-endian bytes from <model>/initial_state/', async () => {
  const repo = makeRepo({ 'seq/1/': null });
  const modelDir = join(repo.dir, 'seq');
  mkdirSync(join(modelDir, 'initial_state'));
  writeFileSync(join(modelDir, 'initial_state', 'acc.bin'), new Uint8Array(new Int32Array([100]).buffer));
  try {
    const state = `state [ { input_name: "ACC_IN" output_name: "ACC_OUT" data_type: TYPE_INT32 dims: [ 1 ]
      initial_state: { data_type: TYPE_INT32 dims: [ 1 ] data_file: "acc.bin" name: "hundred" } } ]`;
    const h = await directHarness(seqConfig(state), { modelDir });
    assert.equal(outputValue(await h.send('a', 1, { flags: START })), 101);
    assert.equal(outputValue(await h.send('a', 2, { flags: END })), 103);
  } finally {
    repo.cleanup();
  }
});

test('slot affinity: every request of a sequence runs on the instance its START was placed on', async () => {
  const h = await directHarness(seqConfig(CONTROLS, { maxBatch: 2, instances: 2 }));
  const ids = [11n, 12n, 13n];
  for (let step = 0; step < 4; step++) {
    const flags = step === 0 ? START : step === 3 ? END : 0;
    const responses = await Promise.all(ids.map((id) => h.send(id, step, { id: `${id}:${step}`, flags })));
    for (const r of responses) assert.equal(r.error, undefined);
  }
  const where = new Map<bigint, Set<string>>();
  for (const e of h.record.log) {
    for (const r of e.requests) {
      const id = uint64Of(r.inputs.CORRID!.bytes);
      if (!where.has(id)) where.set(id, new Set());
      where.get(id)!.add(e.instance);
    }
  }
  assert.deepEqual([...where.keys()].sort(), ids);
  for (const [id, instances] of where) assert.equal(instances.size, 1, `sequence ${id} ran on ${[...instances].join(', ')}`);
  // New sequences take the lowest free slot index on any instance: both instances are used.
  assert.deepEqual(new Set([...where.values()].map((s) => [...s][0])), new Set(['seq_0', 'seq_1']));
});

test('backlog: with every slot taken a new sequence waits, and gets the slot freed by END', async () => {
  const h = await directHarness(seqConfig(ACC_STATE));
  assert.equal(outputValue(await h.send('a', 1, { flags: START })), 1);
  const b = pending(h.send('b', 10, { flags: START }));
  const b2 = pending(h.send('b', 20));
  await settle();
  assert.equal(h.record.log.length, 1, 'b is backlogged');
  assert.equal(b.done, false);
  assert.equal(outputValue(await h.send('a', 2, { flags: END })), 3);
  await until(() => b2.done, 'b to run');
  assert.equal(outputValue(b.value!), 10);
  assert.equal(outputValue(b2.value!), 30);
  assert.deepEqual(h.record.log.map((e) => int32Of(e.requests[0]!.inputs.INPUT!.bytes)), [1, 2, 10, 20]);
});

test('idle timeout: a sequence without requests for max_sequence_idle_microseconds loses its slot and state', async () => {
  const h = await directHarness(seqConfig(ACC_STATE)); // normalized default: 1 s
  assert.equal(outputValue(await h.send('a', 1, { flags: START })), 1);
  const b = pending(h.send('b', 10, { flags: START }));
  await settle();
  h.clock.advance(999);
  await settle();
  assert.equal(b.done, false, 'still within the idle window');
  h.clock.advance(1);
  await until(() => b.done, 'b to get the released slot');
  assert.equal(outputValue(b.value!), 10);
  const late = await h.send('a', 2);
  assert.equal(late.error?.code, 'INVALID_ARG');
  assert.equal(
    late.error?.message,
    "inference request for sequence a to model 'seq' must specify the START flag on the first request of the sequence",
  );
});

test('request timeout: a backlogged sequence that gets no slot in time fails with UNAVAILABLE (Triton\'s text)', async () => {
  const h = await directHarness(seqConfig(ACC_STATE));
  assert.equal(outputValue(await h.send('a', 1, { flags: START })), 1);
  const b = pending(h.send('b', 10, { flags: START, timeoutUs: 5000 }));
  const b2 = pending(h.send('b', 20));
  const c = pending(h.send('c', 30, { flags: START }));
  h.clock.advance(4);
  await settle();
  assert.equal(b.done, false);
  h.clock.advance(1);
  await until(() => b2.done, 'the backlog timeout');
  for (const r of [b.value!, b2.value!]) {
    assert.equal(r.error?.code, 'UNAVAILABLE');
    assert.equal(r.error?.message, 'timeout of the corresponding sequence has been expired');
  }
  assert.equal(c.done, false, 'a backlogged sequence without a timeout keeps waiting');
  assert.equal((await h.send('b', 1)).error?.code, 'INVALID_ARG', 'the expired sequence is gone');
  assert.equal(outputValue(await h.send('a', 2, { flags: END })), 3);
  await until(() => c.done, 'c gets the slot');
  assert.equal(outputValue(c.value!), 30);
  assert.equal(h.record.log.length, 3, 'b never executed');
});

test('idle timeout counts from the last request; a configured max_sequence_idle_microseconds is used', async () => {
  const h = await directHarness(seqConfig(`max_sequence_idle_microseconds: 5000000 ${ACC_STATE}`));
  await h.send(1n, 1, { flags: START });
  h.clock.advance(4000);
  assert.equal(outputValue(await h.send(1n, 2)), 3);
  h.clock.advance(4000);
  assert.equal(outputValue(await h.send(1n, 3)), 6, 'alive: 4 s since its last request');
  h.clock.advance(5000);
  assert.equal((await h.send(1n, 4)).error?.code, 'INVALID_ARG');
});

test('cancellation: an aborted queued request gets CANCELLED, never executes, and ends its sequence', async () => {
  const h = await directHarness(seqConfig(ACC_STATE), { hold: true });
  const first = pending(h.send('a', 1, { flags: START }));
  await until(() => h.record.log.length === 1, 'first execution');
  const abort = new AbortController();
  const second = h.send('a', 2, { signal: abort.signal });
  abort.abort();
  const cancelled = await second;
  assert.equal(cancelled.error?.code, 'CANCELLED');
  h.record.gates.shift()!();
  await until(() => first.done, 'first response');
  await settle();
  assert.equal(h.record.log.length, 1, 'the cancelled request never executed');
  assert.equal((await h.send('a', 3)).error?.code, 'INVALID_ARG', 'the sequence ended with the cancel');
});

test('direct: one execution per instance carries the next request of every ready slot, in slot order', async () => {
  const h = await directHarness(seqConfig(CONTROLS, { maxBatch: 4 }), { hold: true });
  const a1 = h.send(1n, 1, { flags: START });
  await until(() => h.record.log.length === 1, 'first execution');
  const rest = [h.send(1n, 2), h.send(2n, 20, { flags: START }), h.send(3n, 30, { flags: START }), h.send(1n, 3, { flags: END })];
  await settle();
  assert.equal(h.record.log.length, 1, 'the instance is busy');
  h.record.gates.shift()!();
  await until(() => h.record.log.length === 2, 'second execution');
  const second = h.record.log[1]!.requests;
  assert.deepEqual(second.map((r: RecordedRequest) => uint64Of(r.inputs.CORRID!.bytes)), [1n, 2n, 3n], 'one request per sequence');
  assert.deepEqual(second.map((r) => int32Of(r.inputs.START!.bytes)), [0, 1, 1]);
  h.record.gates.shift()!();
  await until(() => h.record.log.length === 3, 'third execution');
  assert.deepEqual(h.record.log[2]!.requests.map((r) => int32Of(r.inputs.INPUT!.bytes)), [3]);
  assert.equal(fp32Of(h.record.log[2]!.requests[0]!.inputs.END!.bytes), 1.5);
  h.record.gates.shift()!();
  for (const r of [await a1, ...(await Promise.all(rest))]) assert.equal(r.error, undefined);
});

test('direct: minimum_slot_utilization with max_queue_delay_microseconds waits for more ready slots', async () => {
  const h = await directHarness(
    seqConfig('direct { max_queue_delay_microseconds: 100000 minimum_slot_utilization: 0.5 }', { maxBatch: 4 }),
  );
  const a = pending(h.send(1n, 1, { flags: START }));
  await settle();
  assert.equal(h.record.log.length, 0, '1 of 4 slots ready: below 0.5');
  h.clock.advance(99);
  await settle();
  assert.equal(h.record.log.length, 0);
  h.clock.advance(1);
  await until(() => a.done, 'the delay expired');
  const b = h.send(2n, 2, { flags: START });
  await settle();
  assert.equal(h.record.log.length, 1, 'waiting again');
  const c = h.send(3n, 3, { flags: START });
  await Promise.all([b, c]);
  assert.deepEqual(h.record.log[1]!.requests.map((r) => int32Of(r.inputs.INPUT!.bytes)), [2, 3], '2 of 4 ready: sent without the delay');
});

test('oldest: candidates batched oldest-first up to max_batch_size, preferred sizes at once, else after the delay', async () => {
  const h = await directHarness(
    seqConfig('oldest { max_candidate_sequences: 4 preferred_batch_size: [ 2 ] max_queue_delay_microseconds: 50000 }', { maxBatch: 2 }),
    { hold: true },
  );
  const first = h.send(1n, 1, { flags: START });
  await settle();
  assert.equal(h.record.log.length, 0, 'one request: below the preferred size, waits');
  h.clock.advance(50);
  await until(() => h.record.log.length === 1, 'sent after the delay');
  const later = [h.send(2n, 2, { flags: START }), h.send(3n, 3, { flags: START }), h.send(4n, 4, { flags: START })];
  await settle();
  h.record.gates.shift()!();
  await until(() => h.record.log.length === 2, 'second execution');
  assert.deepEqual(h.record.log[1]!.requests.map((r) => int32Of(r.inputs.INPUT!.bytes)), [2, 3], 'the two oldest');
  h.record.gates.shift()!();
  await settle();
  assert.equal(h.record.log.length, 2, 'one left: waits for the delay');
  h.clock.advance(50);
  await until(() => h.record.log.length === 3, 'third execution');
  assert.deepEqual(h.record.log[2]!.requests.map((r) => int32Of(r.inputs.INPUT!.bytes)), [4]);
  h.record.gates.shift()!();
  for (const r of [await first, ...(await Promise.all(later))]) assert.equal(r.error, undefined);
});

test('stop(): queued and backlogged requests run, idle sequences give up their slots, new requests are refused', async () => {
  const h = await directHarness(seqConfig(ACC_STATE));
  assert.equal(outputValue(await h.send('a', 1, { flags: START })), 1);
  const b = h.send('b', 10, { flags: START });
  await settle();
  await h.scheduler.stop();
  assert.equal(outputValue(await b), 10);
  const refused = await h.send('c', 1, { flags: START });
  assert.equal(refused.error?.code, 'UNAVAILABLE');
  assert.equal(h.clock.pendingTimers, 0, 'no timer left behind');
});
