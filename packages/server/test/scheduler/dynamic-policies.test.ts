/**
 * Dynamic batcher priorities, queue policies and the delay window, driven by a ManualClock through a
 * real InferenceServer (and once over HTTP). The gated instance holds each execution until released,
 * so requests wait in the batcher's queue exactly as long as the test says.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inferJson } from '../support/http-harness.js';
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

/** Occupies the single instance with request `id` and waits until it executes; `done` is its response. */
async function block(bed: Bed, id = 'blocker'): Promise<{ done: Promise<unknown> }> {
  const before = bed.executions.length;
  const done = bed.infer(id);
  await bed.executionsReach(before + 1);
  return { done };
}

const TIMEOUT_EXPIRED = serverError('UNAVAILABLE', 'Request timeout expired');

test('priority levels: level 1 is served before level 2 queued earlier; 0 and out-of-range use the default level', async () => {
  await withBed('priority_levels: 2 default_priority_level: 2', async (bed) => {
    const { done: blocker } = await block(bed);
    const queued = [
      bed.infer('a2', { priority: 2 }), bed.infer('b2', { priority: 2 }), bed.infer('c0', { priority: 0 }),
      bed.infer('d1', { priority: 1 }), bed.infer('e9', { priority: 9 }), bed.infer('f1', { priority: 1 }),
    ];
    bed.executions[0]!.release();
    for (let n = 2; n <= 7; n++) {
      await bed.executionsReach(n);
      bed.executions[n - 1]!.release();
    }
    await Promise.all([blocker, ...queued]);
    // max_batch_size 1: one request per execution, in queue order (level 1 FIFO, then level 2 FIFO).
    assert.deepEqual(bed.ids(), [['blocker'], ['d1'], ['f1'], ['a2'], ['b2'], ['c0'], ['e9']]);
  }, { maxBatchSize: 1 });
});

test('priority levels: one batch merges across levels in priority order', async () => {
  await withBed('priority_levels: 3 default_priority_level: 3', async (bed) => {
    const { done: blocker } = await block(bed);
    const queued = [
      bed.infer('low', { priority: 3 }), bed.infer('mid', { priority: 2 }), bed.infer('dflt'),
      bed.infer('high', { priority: 1 }), bed.infer('late', { priority: 3 }),
    ];
    bed.executions[0]!.release();
    await bed.executionsReach(2);
    bed.executions[1]!.release();
    await bed.executionsReach(3);
    bed.executions[2]!.release();
    await Promise.all([blocker, ...queued]);
    assert.deepEqual(bed.ids(), [['blocker'], ['high', 'mid', 'low', 'dflt'], ['late']]);
  });
});

test('max_queue_size applies per priority level (priority_queue_policy overrides default_queue_policy)', async () => {
  await withBed(
    'priority_levels: 2 default_priority_level: 2 default_queue_policy { max_queue_size: 2 } '
      + 'priority_queue_policy { key: 1 value { max_queue_size: 1 } }',
    async (bed) => {
      const { done: blocker } = await block(bed);
      const served = [bed.infer('h1', { priority: 1 }), bed.infer('l1', { priority: 2 }), bed.infer('l2')];
      await assert.rejects(bed.infer('h2', { priority: 1 }), serverError('UNAVAILABLE', '[request id: h2] Exceeds maximum queue size'));
      await assert.rejects(bed.infer('l3', { priority: 2 }), serverError('UNAVAILABLE', '[request id: l3] Exceeds maximum queue size'));
      await assert.rejects(bed.infer('', { priority: 7 }), serverError('UNAVAILABLE', 'Exceeds maximum queue size'));
      bed.executions[0]!.release();
      await bed.executionsReach(2);
      bed.executions[1]!.release();
      await Promise.all([blocker, ...served]);
      assert.deepEqual(bed.ids(), [['blocker'], ['h1', 'l1', 'l2']]);
    },
  );
});

test('REJECT: a request whose queue timeout passed gets UNAVAILABLE "Request timeout expired" when batches form', async () => {
  await withBed('default_queue_policy { default_timeout_microseconds: 5000 }', async (bed) => {
    const { done: blocker } = await block(bed);
    const exact = bed.infer('exact');
    bed.clock.advance(5);
    // Exactly at its deadline a request has not expired yet (Triton: now > deadline).
    bed.executions[0]!.release();
    await bed.executionsReach(2);
    assert.deepEqual(bed.ids()[1], ['exact']);
    const expired = bed.infer('expired');
    bed.clock.advance(3);
    const fresh = bed.infer('fresh');
    bed.clock.advance(3);
    // 'expired' waited 6 ms > 5 ms, 'fresh' 3 ms: checked only now, when the instance frees up.
    await bed.settle();
    assert.equal(bed.delivered.some((d) => d.id === 'expired'), false);
    bed.executions[1]!.release();
    await assert.rejects(expired, TIMEOUT_EXPIRED);
    await bed.executionsReach(3);
    bed.executions[2]!.release();
    await Promise.all([blocker, exact, fresh]);
    assert.deepEqual(bed.ids(), [['blocker'], ['exact'], ['fresh']]);
    const stats = bed.server.modelStatistics('m').model_stats[0] as { inference_count: number; execution_count: number };
    assert.deepEqual([stats.inference_count, stats.execution_count], [3, 3]);
  });
});

test('REJECT while a batch waits out max_queue_delay: the expired request leaves as soon as it expires', async () => {
  await withBed('max_queue_delay_microseconds: 10000 default_queue_policy { default_timeout_microseconds: 3000 }', async (bed) => {
    const short = bed.infer('short');
    bed.clock.advance(3);
    await bed.settle();
    assert.equal(bed.delivered.length, 0);
    bed.clock.advance(0.01);
    await assert.rejects(short, TIMEOUT_EXPIRED);
    assert.equal(bed.executions.length, 0);
    assert.equal(bed.clock.pendingTimers, 0);
  });
});

test('REJECT over HTTP: 503 with {"error":"Request timeout expired"}', async () => {
  await withBed('default_queue_policy { default_timeout_microseconds: 1000 }', async (bed) => {
    const port = await bed.http();
    const { done: blocker } = await block(bed);
    const reply = inferJson(port, 'm', { id: 'h', inputs: [{ name: 'INPUT0', shape: [1, 2], datatype: 'FP32', data: [1, 2] }] });
    for (let i = 0; i < 2000 && bed.server.inflightCount < 2; i++) await new Promise((r) => setTimeout(r, 1));
    assert.equal(bed.server.inflightCount, 2, 'the HTTP request is queued');
    bed.clock.advance(2);
    bed.executions[0]!.release();
    const res = await reply;
    assert.equal(res.status, 503);
    assert.deepEqual(JSON.parse(res.text), { error: 'Request timeout expired' });
    await blocker;
    assert.equal(bed.executions.length, 1);
  });
});

test('DELAY: an expired request is still served, behind the requests that have not expired', async () => {
  await withBed('default_queue_policy { timeout_action: DELAY default_timeout_microseconds: 5000 }', async (bed) => {
    const { done: blocker } = await block(bed);
    const old = bed.infer('old');
    bed.clock.advance(6);
    const newer = [bed.infer('n1'), bed.infer('n2')];
    bed.executions[0]!.release();
    for (let n = 2; n <= 4; n++) {
      await bed.executionsReach(n);
      // Time passing does not expire the delayed request again nor the others before they are reached.
      bed.executions[n - 1]!.release();
    }
    await Promise.all([blocker, old, ...newer]);
    assert.deepEqual(bed.ids(), [['blocker'], ['n1'], ['n2'], ['old']]);
  }, { maxBatchSize: 1 });
});

test('DELAY: expired requests join the batch after the unexpired ones of their level', async () => {
  await withBed('default_queue_policy { timeout_action: DELAY default_timeout_microseconds: 5000 }', async (bed) => {
    const { done: blocker } = await block(bed);
    const old = [bed.infer('o1'), bed.infer('o2')];
    bed.clock.advance(6);
    const newer = bed.infer('n1');
    bed.executions[0]!.release();
    await bed.executionsReach(2);
    bed.executions[1]!.release();
    await Promise.all([blocker, ...old, newer]);
    assert.deepEqual(bed.ids(), [['blocker'], ['n1', 'o1', 'o2']]);
  });
});

test('allow_timeout_override: a request timeout applies only when non-zero and smaller than the default', async () => {
  await withBed('default_queue_policy { default_timeout_microseconds: 10000 allow_timeout_override: true }', async (bed) => {
    const { done: blocker } = await block(bed);
    const shorter = bed.infer('shorter', { timeoutUs: 2000 });
    const longer = bed.infer('longer', { timeoutUs: 20000 });
    const none = bed.infer('none', { timeoutUs: 0 });
    bed.clock.advance(5);
    bed.executions[0]!.release();
    await assert.rejects(shorter, TIMEOUT_EXPIRED);
    await bed.executionsReach(2);
    assert.deepEqual(bed.ids()[1], ['longer', 'none']);
    // The batch above now holds the instance; a longer request timeout does not extend the 10 ms default.
    const longer2 = bed.infer('longer2', { timeoutUs: 20000 });
    bed.clock.advance(11);
    bed.executions[1]!.release();
    await assert.rejects(longer2, TIMEOUT_EXPIRED);
    await Promise.all([blocker, longer, none]);
    assert.equal(bed.executions.length, 2);
  });
});

test('allow_timeout_override: with no default timeout a request timeout is ignored', async () => {
  await withBed('default_queue_policy { allow_timeout_override: true }', async (bed) => {
    const { done: blocker } = await block(bed);
    const q = bed.infer('q', { timeoutUs: 1000 });
    bed.clock.advance(100);
    bed.executions[0]!.release();
    await bed.executionsReach(2);
    bed.executions[1]!.release();
    await Promise.all([blocker, q]);
    assert.deepEqual(bed.ids(), [['blocker'], ['q']]);
  });
});

test('without allow_timeout_override a request timeout is ignored and the default applies', async () => {
  await withBed('default_queue_policy { default_timeout_microseconds: 10000 }', async (bed) => {
    const { done: blocker } = await block(bed);
    const q = bed.infer('q', { timeoutUs: 1000 });
    bed.clock.advance(5);
    bed.executions[0]!.release();
    await bed.executionsReach(2);
    bed.executions[1]!.release();
    await Promise.all([blocker, q]);
    assert.deepEqual(bed.ids(), [['blocker'], ['q']]);
  });
});

test('per-level timeout policies: only the level whose policy has a timeout rejects', async () => {
  await withBed(
    'priority_levels: 2 default_priority_level: 2 '
      + 'priority_queue_policy { key: 2 value { default_timeout_microseconds: 1000 } }',
    async (bed) => {
      const { done: blocker } = await block(bed);
      const high = bed.infer('high', { priority: 1 });
      const low = bed.infer('low', { priority: 2 });
      bed.clock.advance(50);
      bed.executions[0]!.release();
      await assert.rejects(low, TIMEOUT_EXPIRED);
      await bed.executionsReach(2);
      bed.executions[1]!.release();
      await Promise.all([blocker, high]);
      assert.deepEqual(bed.ids(), [['blocker'], ['high']]);
    },
  );
});

test('max_queue_delay_microseconds: the batch is not sent at delay - 1 ms and is sent at exactly the delay', async () => {
  await withBed('max_queue_delay_microseconds: 10000', async (bed) => {
    const a = bed.infer('a');
    bed.clock.advance(4);
    const b = bed.infer('b');
    bed.clock.advance(5);
    await bed.settle();
    assert.equal(bed.executions.length, 0, 'not sent at 9 ms');
    bed.clock.advance(1);
    // The window counts from the oldest request: sent at 10 ms with both requests.
    await bed.executionsReach(1);
    assert.deepEqual(bed.ids(), [['a', 'b']]);
    bed.executions[0]!.release();
    await Promise.all([a, b]);
  });
});

test('max_queue_delay_microseconds: a preferred size reached inside the window is sent at once', async () => {
  await withBed('max_queue_delay_microseconds: 10000 preferred_batch_size: [ 2 ]', async (bed) => {
    const a = bed.infer('a');
    bed.clock.advance(3);
    await bed.settle();
    assert.equal(bed.executions.length, 0);
    const b = bed.infer('b');
    await bed.executionsReach(1);
    assert.deepEqual(bed.ids(), [['a', 'b']]);
    assert.equal(bed.clock.now(), 3);
    bed.executions[0]!.release();
    await Promise.all([a, b]);
  });
});

test('a preferred size is cut from a longer queue; once the delay is exceeded everything that fits goes', async () => {
  await withBed('max_queue_delay_microseconds: 10000 preferred_batch_size: [ 2 ]', async (bed) => {
    const blocker = bed.infer('blocker');
    bed.clock.advance(10);
    await bed.executionsReach(1);
    const queued = ['a', 'b', 'c', 'd', 'e'].map((id) => bed.infer(id));
    bed.executions[0]!.release();
    await bed.executionsReach(2);
    // Five waiting, max_batch_size 4: the batch is cut at the preferred size 2, not filled to 4.
    assert.deepEqual(bed.ids()[1], ['a', 'b']);
    bed.clock.advance(10);
    bed.executions[1]!.release();
    await bed.executionsReach(3);
    // c..e have waited the whole window: all three go, although 3 is not a preferred size.
    assert.deepEqual(bed.ids()[2], ['c', 'd', 'e']);
    bed.executions[2]!.release();
    await Promise.all([blocker, ...queued]);
  });
});
