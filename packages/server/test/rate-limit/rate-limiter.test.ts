/**
 * The rate limiter through a real InferenceServer: two models on a gated plug-in backend whose
 * executions are held until the test releases them, so overlap (or its absence) is observed directly,
 * without timing. Priorities are checked on the limiter alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createInferenceServer, type CreateServerOptions } from '../../src/create-server.js';
import type { InferenceServer } from '../../src/core/index.js';
import { RateLimiter, parseRateLimitResource, type RateLimitClient } from '../../src/scheduler/rate-limiter.js';
import { fp32, makeRepo } from '../support/temp-repo.js';

/** Holds each execution until released; records how many run at once (across models). */
const GATED_BACKEND = `
export const backend = {
  name: 'test_rl_gated',
  async createModel(ctx) {
    const model = ctx.config.name;
    return {
      createInstance: async (ictx) => ({
        name: ictx.name,
        async execute(requests) {
          const s = globalThis.__inferdRateLimit;
          s.active += 1;
          s.maxActive = Math.max(s.maxActive, s.active);
          s.started.push(model);
          await new Promise((resolve) => s.gates.push(resolve));
          s.active -= 1;
          for (const r of requests) r.respond({ outputs: [{ ...r.inputs[0], name: 'OUTPUT0' }] });
        },
        async dispose() {},
      }),
      dispose: async () => {},
    };
  },
};
`;

interface GateState { active: number; maxActive: number; started: string[]; gates: (() => void)[] }

function config(resources: string, priority = 1, count = 1): string {
  return [
    'backend: "test_rl_gated"',
    'max_batch_size: 0',
    'input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 1 ] } ]',
    'output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 1 ] } ]',
    `instance_group [ { count: ${count} kind: KIND_CPU rate_limiter { resources [ ${resources} ] priority: ${priority} } } ]`,
  ].join('\n');
}

const GLOBAL_R1 = '{ name: "R" global: true count: 1 }';

async function withModels(
  configs: Record<string, string>, options: Partial<CreateServerOptions>,
  body: (server: InferenceServer, state: GateState) => Promise<void>,
): Promise<void> {
  const state: GateState = { active: 0, maxActive: 0, started: [], gates: [] };
  (globalThis as Record<string, unknown>).__inferdRateLimit = state;
  const files: Record<string, string | null> = {};
  for (const [name, text] of Object.entries(configs)) {
    files[`${name}/config.pbtxt`] = text;
    files[`${name}/1/`] = null;
  }
  const repo = makeRepo(files);
  const backends = makeRepo({ 'test_rl_gated/index.mjs': GATED_BACKEND });
  const { server } = await createInferenceServer({ modelRepository: repo.dir, backendDirectory: backends.dir, ...options });
  try {
    await body(server, state);
  } finally {
    for (let i = 0; i < 100 && (state.gates.length > 0 || state.active > 0); i++) {
      while (state.gates.length > 0) state.gates.shift()!();
      await turns(5);
    }
    await server.shutdown(1000);
    repo.cleanup();
    backends.cleanup();
  }
}

const infer = (server: InferenceServer, model: string, shape = [1]) =>
  server.infer({ modelName: model, inputs: [{ name: 'INPUT0', datatype: 'FP32', shape, data: fp32([1]) }] });

/** Lets `n` event-loop turns pass (no timers), so held and newly started executions settle. */
async function turns(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

async function startedCount(state: GateState, n: number): Promise<void> {
  for (let i = 0; i < 10_000 && state.started.length < n; i++) await new Promise((r) => setImmediate(r));
  assert.equal(state.started.length, n, `expected ${n} executions to have started`);
}

test('two models sharing a global resource of count 1 never execute at the same time', async () => {
  await withModels({ a: config(GLOBAL_R1), b: config(GLOBAL_R1) }, { rateLimit: { mode: 'execution_count' } }, async (server, state) => {
    const done = [infer(server, 'a'), infer(server, 'b'), infer(server, 'a'), infer(server, 'b')];
    for (let n = 1; n <= 4; n++) {
      await startedCount(state, n);
      await turns();
      assert.equal(state.started.length, n, 'nothing else starts while R is held');
      assert.equal(state.active, 1);
      state.gates.shift()!();
    }
    await Promise.all(done);
    assert.equal(state.maxActive, 1);
    // Both models got the resource in turn.
    assert.deepEqual([...state.started].sort(), ['a', 'a', 'b', 'b']);
  });
});

test('with --rate-limit-resource R:2 the two models overlap', async () => {
  await withModels(
    { a: config(GLOBAL_R1), b: config(GLOBAL_R1) },
    { rateLimit: { mode: 'execution_count', resources: ['R:2'] } },
    async (server, state) => {
      const done = [infer(server, 'a'), infer(server, 'b')];
      await startedCount(state, 2);
      assert.equal(state.active, 2);
      while (state.gates.length > 0) state.gates.shift()!();
      await Promise.all(done);
      assert.equal(state.maxActive, 2);
    },
  );
});

test('rate limiting off (the default) ignores rate_limiter in the config', async () => {
  await withModels({ a: config(GLOBAL_R1), b: config(GLOBAL_R1) }, {}, async (server, state) => {
    const done = [infer(server, 'a'), infer(server, 'b')];
    await startedCount(state, 2);
    assert.equal(state.active, 2);
    while (state.gates.length > 0) state.gates.shift()!();
    await Promise.all(done);
  });
  await withModels({ a: config(GLOBAL_R1), b: config(GLOBAL_R1) }, { rateLimit: { mode: 'off', resources: ['R:0'] } }, async (server, state) => {
    const done = [infer(server, 'a'), infer(server, 'b')];
    await startedCount(state, 2);
    while (state.gates.length > 0) state.gates.shift()!();
    await Promise.all(done);
  });
});

test('a dynamic batcher waiting on a resource pumps when another model frees it', async () => {
  const batched = config(GLOBAL_R1).replace('max_batch_size: 0', 'max_batch_size: 4') + '\ndynamic_batching { }';
  await withModels({ a: batched, b: config(GLOBAL_R1) }, { rateLimit: { mode: 'execution_count' } }, async (server, state) => {
    const first = infer(server, 'b');
    await startedCount(state, 1);
    const queued = [infer(server, 'a', [1, 1]), infer(server, 'a', [1, 1]), infer(server, 'a', [1, 1])];
    await turns();
    assert.equal(state.started.length, 1, 'model a waits for R');
    state.gates.shift()!();
    await startedCount(state, 2);
    assert.equal(state.started[1], 'a');
    state.gates.shift()!();
    await Promise.all([first, ...queued]);
    assert.equal(state.maxActive, 1);
    // The three requests of a went as one batch once R was free.
    assert.equal(state.started.length, 2);
  });
});

test('per-device resources: instances of one model on the same device share the copies', async () => {
  const perDevice = '{ name: "D" count: 1 }';
  await withModels({ a: config(perDevice, 1, 2) }, { rateLimit: { mode: 'execution_count' } }, async (server, state) => {
    const done = [infer(server, 'a'), infer(server, 'a')];
    await startedCount(state, 1);
    await turns();
    assert.equal(state.started.length, 1, 'the second instance waits for D on device 0');
    state.gates.shift()!();
    await startedCount(state, 2);
    state.gates.shift()!();
    await Promise.all(done);
    assert.equal(state.maxActive, 1);
  });
  await withModels(
    { a: config(perDevice, 1, 2) },
    { rateLimit: { mode: 'execution_count', resources: ['D:2:0'] } },
    async (server, state) => {
      const done = [infer(server, 'a'), infer(server, 'a')];
      await startedCount(state, 2);
      while (state.gates.length > 0) state.gates.shift()!();
      await Promise.all(done);
    },
  );
});

test('an override smaller than an instance needs makes that model fail to load, with the reason', async () => {
  await withModels(
    { a: config('{ name: "R" global: true count: 3 }'), b: config(GLOBAL_R1) },
    { rateLimit: { mode: 'execution_count', resources: ['R:2'] }, exitOnError: false },
    async (server) => {
      const rows = server.repositoryIndex();
      const a = rows.find((r) => r.name === 'a')!;
      assert.equal(a.state, 'UNAVAILABLE');
      assert.match(a.reason ?? '', /Resource count for 'R' is limited to 2 which will prevent scheduling .* minimum required count is 3/);
      assert.equal(rows.find((r) => r.name === 'b')!.state, 'READY');
    },
  );
});

test('parseRateLimitResource: <name>:<count>[:<device>]', () => {
  assert.deepEqual(parseRateLimitResource('R1:4'), { name: 'R1', count: 4 });
  assert.deepEqual(parseRateLimitResource('R2:5:1'), { name: 'R2', count: 5, device: 1 });
  for (const bad of ['R1', 'R1:x', ':3', 'R1:3:gpu', 'R1:1:2:3', 'R1:-1']) {
    assert.throws(() => parseRateLimitResource(bad), /expected <name>:<count>\[:<device>\]/, bad);
  }
});

test('priority: with both waiting, priority 2 gets half the grants of priority 1', async () => {
  const limiter = new RateLimiter();
  const grants: string[] = [];
  let holder: RateLimitClient | undefined;
  const clients: Record<string, RateLimitClient> = {};
  // Each client always has work: when offered capacity it starts if it can.
  const offer = (name: string) => () => {
    const c = clients[name]!;
    if (c.canStart() && holder === undefined) {
      c.acquire();
      holder = c;
      grants.push(name);
    }
  };
  const need = { resources: [{ name: 'R', global: true, count: 1 }], deviceId: 0 };
  clients.p1 = limiter.register({ ...need, priority: 1 }, offer('p1'));
  clients.p2 = limiter.register({ ...need, priority: 2 }, offer('p2'));
  await turns(2);
  offer('p1')();
  offer('p2')();
  for (let i = 0; i < 30; i++) {
    const h = holder!;
    holder = undefined;
    h.release();
    // The releasing instance asks again at once (as its scheduler's pump does), then the limiter chooses.
    (h === clients.p1 ? offer('p1') : offer('p2'))();
    await turns(2);
    assert.ok(holder !== undefined, 'someone holds R after each arbitration');
  }
  const p1 = grants.filter((g) => g === 'p1').length;
  const p2 = grants.filter((g) => g === 'p2').length;
  assert.equal(p1 + p2, 31);
  assert.ok(p2 >= 9 && Math.abs(p1 - 2 * p2) <= 2, `p1=${p1} p2=${p2}`);
});
