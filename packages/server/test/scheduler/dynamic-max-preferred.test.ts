/**
 * The dynamic batcher at and over the largest preferred batch size (Triton's L0_batcher
 * test_static_batch_gt_max_preferred, test_multi_batch_gt_max_preferred,
 * test_multi_batch_sum_gt_max_preferred: max_batch_size 8, preferred [2, 6], a 10 s delay). A ManualClock
 * that the tests advance by hand stands for time, so "at once" means "with the clock still at 0".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inferJson } from '../support/http-harness.js';
import { startBed, type Bed } from './dynamic-support.js';

const L0_BATCHER = 'preferred_batch_size: [ 2, 6 ] max_queue_delay_microseconds: 10000000';
const DELAY_MS = 10_000;

async function withBed(body: (bed: Bed) => Promise<void>, instances = 1, batching = L0_BATCHER): Promise<void> {
  const bed = await startBed(batching, { maxBatchSize: 8, instances });
  try {
    await body(bed);
  } finally {
    await bed.close();
  }
}

test('a request with more rows than the largest preferred size executes at once (static_batch_gt_max_preferred)', async () => {
  await withBed(async (bed) => {
    const big = bed.infer('seven', { rows: 7 });
    await bed.executionsReach(1);
    assert.deepEqual(bed.ids(), [['seven']]);
    assert.equal(bed.clock.now(), 0);
    bed.executions[0]!.release();
    const res = await big;
    assert.deepEqual(res.outputs[0]!.shape, [7, 2]);
  });
});

test('a request at the largest preferred size goes at once; one between preferred sizes waits the whole delay', async () => {
  await withBed(async (bed) => {
    const six = bed.infer('six', { rows: 6 });
    await bed.executionsReach(1);
    bed.executions[0]!.release();
    await six;
    const three = bed.infer('three', { rows: 3 });
    bed.clock.advance(DELAY_MS - 1);
    await bed.settle();
    assert.equal(bed.executions.length, 1, '3 rows is not a preferred size: it waits out the delay');
    bed.clock.advance(1);
    await bed.executionsReach(2);
    bed.executions[1]!.release();
    await three;
  });
});

test('3 rows waiting, then 7 rows: the pending 3 goes at once, then the 7 (multi_batch_gt_max_preferred)', async () => {
  await withBed(async (bed) => {
    const three = bed.infer('three', { rows: 3 });
    await bed.settle();
    assert.equal(bed.executions.length, 0, 'the lone 3 waits for more');
    const seven = bed.infer('seven', { rows: 7 });
    // Two instances: both executions start without the clock moving and without a release.
    await bed.executionsReach(2);
    assert.deepEqual(bed.ids(), [['three'], ['seven']]);
    assert.equal(bed.clock.now(), 0);
    for (const e of bed.executions) e.release();
    await Promise.all([three, seven]);
  }, 2);
});

test('3 rows waiting, then 4 (sum 7 > 6): the 3 goes at once, the 4 waits the delay (multi_batch_sum_gt_max_preferred)', async () => {
  await withBed(async (bed) => {
    const three = bed.infer('three', { rows: 3 });
    await bed.settle();
    const four = bed.infer('four', { rows: 4 });
    await bed.executionsReach(1);
    assert.deepEqual(bed.ids(), [['three']]);
    bed.clock.advance(DELAY_MS - 1);
    await bed.settle();
    assert.equal(bed.executions.length, 1, 'the 4 is not preferred and waits');
    bed.clock.advance(1);
    await bed.executionsReach(2);
    assert.deepEqual(bed.ids(), [['three'], ['four']]);
    for (const e of bed.executions) e.release();
    await Promise.all([three, four]);
  }, 2);
});

test('1 then 6 queued: the 1 goes at once (adding the 6 would pass the largest preferred size), then the 6', async () => {
  await withBed(async (bed) => {
    const blocker = bed.infer('blocker', { rows: 6 });
    await bed.executionsReach(1);
    const one = bed.infer('one');
    const six = bed.infer('six', { rows: 6 });
    bed.executions[0]!.release();
    // 1 + 6 = 7 fits max_batch_size 8 but passes the largest preferred size: Triton cuts before the 6.
    await bed.executionsReach(2);
    assert.deepEqual(bed.ids()[1], ['one']);
    bed.executions[1]!.release();
    await bed.executionsReach(3);
    assert.deepEqual(bed.ids()[2], ['six']);
    assert.equal(bed.clock.now(), 0);
    bed.executions[2]!.release();
    await Promise.all([blocker, one, six]);
  });
});

test('without preferred sizes max_batch_size is the largest preferred size: 8 rows go at once, 7 wait', async () => {
  await withBed(async (bed) => {
    const eight = bed.infer('eight', { rows: 8 });
    await bed.executionsReach(1);
    bed.executions[0]!.release();
    await eight;
    const seven = bed.infer('seven', { rows: 7 });
    await bed.settle();
    assert.equal(bed.executions.length, 1);
    bed.clock.advance(DELAY_MS);
    await bed.executionsReach(2);
    bed.executions[1]!.release();
    await seven;
  }, 1, 'max_queue_delay_microseconds: 10000000');
});

test('over HTTP: a 7-row request is answered while the 10 s delay window has not moved at all', async () => {
  await withBed(async (bed) => {
    const port = await bed.http();
    const data = Array.from({ length: 14 }, (_, i) => i);
    const reply = inferJson(port, 'm', { inputs: [{ name: 'INPUT0', shape: [7, 2], datatype: 'FP32', data }] });
    for (let i = 0; i < 2000 && bed.executions.length === 0; i++) await new Promise((r) => setTimeout(r, 1));
    assert.equal(bed.executions.length, 1, 'executed without the clock moving');
    bed.executions[0]!.release();
    const res = await reply;
    assert.equal(res.status, 200);
    const out = JSON.parse(res.text).outputs[0];
    assert.deepEqual(out.shape, [7, 2]);
    assert.deepEqual(out.data, data);
    assert.equal(bed.clock.now(), 0);
  });
});
