/**
 * preserve_ordering: with two instances finishing out of order, clients still receive responses in the
 * order the batcher sent the requests (= arrival order: preserve_ordering allows one priority level and
 * no DELAY policy). Without it the later batch's responses overtake.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFp32 } from '../support/temp-repo.js';
import { serverError, startBed, type Bed } from './dynamic-support.js';

async function withBed(
  dynamicBatching: string, body: (bed: Bed) => Promise<void>, options: Parameters<typeof startBed>[1] = {},
): Promise<void> {
  const bed = await startBed(dynamicBatching, options);
  try {
    await body(bed);
  } finally {
    await bed.close();
  }
}

const delivered = (bed: Bed) => bed.delivered.map((d) => (d.final ? d.id : `${d.id}(partial)`));

/** r0 and r1 alone on the two instances, then r2+r3 queued behind both. */
async function outOfOrder(bed: Bed): Promise<Promise<unknown>[]> {
  const all = [bed.infer('r0', { value: 0 }), bed.infer('r1', { value: 10 })];
  await bed.executionsReach(2);
  all.push(bed.infer('r2', { value: 20 }), bed.infer('r3', { value: 30 }));
  assert.deepEqual(bed.ids(), [['r0'], ['r1']]);
  assert.notEqual(bed.executions[0]!.instance, bed.executions[1]!.instance);
  // r1's instance finishes first, takes the queued pair and finishes that too, all while r0 runs.
  bed.executions[1]!.release();
  await bed.executionsReach(3);
  assert.deepEqual(bed.executions[2]!.ids, ['r2', 'r3']);
  bed.executions[2]!.release();
  await bed.settle();
  return all;
}

test('preserve_ordering holds later responses until every earlier request is answered', async () => {
  await withBed('preserve_ordering: true', async (bed) => {
    const all = await outOfOrder(bed);
    assert.deepEqual(delivered(bed), [], 'r1..r3 are held while r0 runs');
    bed.executions[0]!.release();
    const results = (await Promise.all(all)) as { id: string; outputs: { data: Uint8Array }[] }[];
    assert.deepEqual(delivered(bed), ['r0', 'r1', 'r2', 'r3']);
    results.forEach((r, i) => {
      assert.equal(r.id, `r${i}`);
      assert.deepEqual(readFp32(r.outputs[0]!.data), [i * 10, i * 10 + 1]);
    });
    await bed.settle();
    const s = bed.server.modelStatistics('m').model_stats[0] as {
      inference_count: number; execution_count: number; inference_stats: { success: { count: number }; compute_infer: { count: number } };
    };
    assert.deepEqual(
      [s.inference_count, s.execution_count, s.inference_stats.success.count, s.inference_stats.compute_infer.count], [4, 3, 4, 4],
    );
  }, { instances: 2 });
});

test('without preserve_ordering a batch that finishes first is answered first', async () => {
  await withBed('', async (bed) => {
    const all = await outOfOrder(bed);
    assert.deepEqual(delivered(bed), ['r1', 'r2', 'r3']);
    bed.executions[0]!.release();
    await Promise.all(all);
    assert.deepEqual(delivered(bed), ['r1', 'r2', 'r3', 'r0']);
  }, { instances: 2 });
});

test('preserve_ordering, decoupled: the oldest request streams; a later one is held until its predecessors are final', async () => {
  await withBed('preserve_ordering: true', async (bed) => {
    const a = bed.infer('a');
    const b = bed.infer('b');
    await bed.executionsReach(2);
    await bed.settle();
    // Each execution sent one partial response at its start: a's goes out, b's waits behind a.
    assert.deepEqual(delivered(bed), ['a(partial)']);
    bed.executions[1]!.release();
    await bed.settle();
    assert.deepEqual(delivered(bed), ['a(partial)'], 'b finished but a has not');
    bed.executions[0]!.release();
    await Promise.all([a, b]);
    assert.deepEqual(delivered(bed), ['a(partial)', 'a', 'b(partial)', 'b']);
  }, { instances: 2, decoupled: true });
});

test('preserve_ordering: a request rejected for its queue timeout is answered at once, not held', async () => {
  await withBed('preserve_ordering: true default_queue_policy { default_timeout_microseconds: 1000 }', async (bed) => {
    const running = [bed.infer('r0'), bed.infer('r1')];
    await bed.executionsReach(2);
    const late = bed.infer('late');
    bed.clock.advance(2);
    // Instance 1 frees up: r1 is held behind r0, the expired request is rejected when the next batch forms.
    bed.executions[1]!.release();
    await assert.rejects(late, serverError('UNAVAILABLE', 'Request timeout expired'));
    assert.deepEqual(delivered(bed), ['late']);
    bed.executions[0]!.release();
    await Promise.all(running);
    assert.deepEqual(delivered(bed), ['late', 'r0', 'r1']);
    assert.equal(bed.executions.length, 2);
  }, { instances: 2 });
});
