/**
 * The response cache: the LRU and its key on their own, then through a real InferenceServer with the
 * identity backend, whose executions are observed through the statistics extension (spec §4.4).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createInferenceServer } from '../../src/create-server.js';
import { ResponseCache, parseCacheConfig, type InferenceServer, type Tensor } from '../../src/core/index.js';
import { fp32, identityConfig, makeRepo, readFp32 } from '../support/temp-repo.js';
import { pluginBackend } from '../support/plugin-backend.js';

const t = (name: string, values: number[], shape = [1, values.length]): Tensor => ({ name, datatype: 'FP32', shape, data: fp32(values) });

test('key: same request (inputs in any order) -> same key; any differing part -> another key', () => {
  const cache = new ResponseCache({ local: { size: 1 << 20 } });
  const a = t('A', [1, 2]);
  const b = t('B', [3, 4]);
  const outs = [{ name: 'OUT' }];
  const base = cache.key('m', 1, [a, b], outs);
  assert.equal(cache.key('m', 1, [b, a], outs), base);
  const variants = [
    cache.key('m2', 1, [a, b], outs),
    cache.key('m', 2, [a, b], outs),
    cache.key('m', 1, [a, t('B', [3, 5])], outs),
    cache.key('m', 1, [a, t('B', [3, 4], [2, 1])], outs),
    cache.key('m', 1, [a, { ...b, datatype: 'INT32' }], outs),
    cache.key('m', 1, [a, { ...b, name: 'C' }], outs),
    cache.key('m', 1, [a, b], [{ name: 'OTHER' }]),
    cache.key('m', 1, [a, b], [{ name: 'OUT' }, { name: 'OTHER' }]),
    // Bytes moved between inputs must not collide.
    cache.key('m', 1, [t('A', [1, 2, 3]), t('B', [4])], outs),
  ];
  assert.equal(new Set([base, ...variants]).size, variants.length + 1);
});

test('LRU: least recently used entries are evicted within the byte budget; oversized entries are not stored', () => {
  const out = (v: number): { outputs: Tensor[] } => ({ outputs: [t('OUT', Array.from({ length: 64 }, () => v))] });
  // One entry is 256 data bytes plus bookkeeping (< 512): a 1200-byte budget holds two, not three.
  const cache = new ResponseCache({ local: { size: 1200 } });
  assert.equal(cache.insert('k1', out(1)), true);
  assert.equal(cache.insert('k2', out(2)), true);
  assert.equal(cache.entryCount, 2);
  assert.ok(cache.lookup('k1') !== undefined); // k1 is now the most recently used
  assert.equal(cache.insert('k3', out(3)), true);
  assert.equal(cache.entryCount, 2);
  assert.equal(cache.lookup('k2'), undefined, 'k2 was the least recently used');
  assert.deepEqual(readFp32(cache.lookup('k1')!.outputs[0]!.data)[0], 1);
  assert.deepEqual(readFp32(cache.lookup('k3')!.outputs[0]!.data)[0], 3);
  assert.ok(cache.usedBytes <= cache.capacity);

  const big = { outputs: [t('OUT', Array.from({ length: 400 }, () => 9))] };
  assert.equal(cache.insert('huge', big), false);
  assert.equal(cache.lookup('huge'), undefined);
  assert.equal(cache.entryCount, 2, 'an oversized entry evicts nothing');

  const none = new ResponseCache({ local: { size: 0 } });
  assert.equal(none.insert('k', out(1)), false);
});

test('the cache owns copies of the stored bytes', () => {
  const cache = new ResponseCache({ local: { size: 4096 } });
  const data = fp32([1, 2]);
  cache.insert('k', { outputs: [{ name: 'OUT', datatype: 'FP32', shape: [1, 2], data }] });
  data.fill(0);
  assert.deepEqual(readFp32(cache.lookup('k')!.outputs[0]!.data), [1, 2]);
});

test('parseCacheConfig: local,size=N; entries merge; unknown caches, settings and sizes are refused', () => {
  assert.deepEqual(parseCacheConfig(['local,size=1048576']), { local: { size: 1048576 } });
  assert.deepEqual(parseCacheConfig(['local', 'local,size=10']), { local: { size: 10 } });
  assert.equal(parseCacheConfig([]), undefined);
  assert.throws(() => parseCacheConfig(['redis,host=localhost']), /cache 'redis' is not available in inferd/);
  assert.throws(() => parseCacheConfig(['local']), /needs a size/);
  assert.throws(() => parseCacheConfig(['local,size=-1']), /non-negative number of bytes/);
  assert.throws(() => parseCacheConfig(['local,size=1k']), /non-negative number of bytes/);
  assert.throws(() => parseCacheConfig(['local,bogus=1']), /unknown setting 'bogus'/);
});

const CACHED = 'response_cache { enable: true }';

/** Two inputs/outputs, so a request can ask for a subset of the outputs. */
const twoIo = (extra: string): string => [
  'backend: "identity"',
  'max_batch_size: 8',
  'input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ -1 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ -1 ] } ]',
  'output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ -1 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ -1 ] } ]',
  extra,
].join('\n');

async function withServer(
  files: Record<string, string | null>, cacheConfig: readonly string[] | undefined, body: (server: InferenceServer) => Promise<void>,
): Promise<void> {
  const repo = makeRepo(files);
  const { server } = await createInferenceServer({ modelRepository: repo.dir, ...(cacheConfig === undefined ? {} : { cacheConfig }) });
  try {
    await body(server);
  } finally {
    await server.shutdown(1000);
    repo.cleanup();
  }
}

interface Stats {
  inference_count: number;
  execution_count: number;
  inference_stats: Record<string, { count: number; ns: number }>;
}

function stats(server: InferenceServer, model: string): Stats {
  return server.modelStatistics(model).model_stats[0] as unknown as Stats;
}

const one = (server: InferenceServer, model: string, values: number[]) =>
  server.infer({ modelName: model, inputs: [t('INPUT0', values)] });

test('a hit answers from the cache without executing; stats count it as success and cache_hit only', async () => {
  await withServer({ 'm/config.pbtxt': identityConfig(CACHED), 'm/1/': null }, ['local,size=1048576'], async (server) => {
    const first = await one(server, 'm', [1, 2, 3]);
    const second = await one(server, 'm', [1, 2, 3]);
    assert.deepEqual(readFp32(second.outputs[0]!.data), [1, 2, 3]);
    assert.deepEqual(second.outputs[0]!.shape, first.outputs[0]!.shape);
    assert.equal(second.outputs[0]!.name, 'OUTPUT0');
    assert.equal(second.modelName, 'm');
    assert.equal(second.modelVersion, '1');
    const s = stats(server, 'm');
    assert.equal(s.execution_count, 1);
    assert.equal(s.inference_count, 1);
    const i = s.inference_stats;
    assert.equal(i.success!.count, 2);
    assert.equal(i.queue!.count, 2);
    assert.equal(i.compute_infer!.count, 1);
    assert.equal(i.compute_input!.count, 1);
    assert.equal(i.cache_hit!.count, 1);
    assert.equal(i.cache_miss!.count, 1);
    assert.ok(i.cache_hit!.ns > 0 && i.cache_miss!.ns > 0, 'lookup / insert durations are recorded');
    assert.equal(i.fail!.count, 0);

    // A different input is another entry: it executes, and then hits too.
    assert.deepEqual(readFp32((await one(server, 'm', [4, 5, 6])).outputs[0]!.data), [4, 5, 6]);
    assert.deepEqual(readFp32((await one(server, 'm', [4, 5, 6])).outputs[0]!.data), [4, 5, 6]);
    assert.deepEqual(readFp32((await one(server, 'm', [1, 2, 3])).outputs[0]!.data), [1, 2, 3]);
    const after = stats(server, 'm');
    assert.equal(after.execution_count, 2);
    assert.equal(after.inference_stats.cache_hit!.count, 3);
    assert.equal(after.inference_stats.cache_miss!.count, 2);
    assert.equal(after.inference_stats.success!.count, 5);
  });
});

test('requested outputs are part of the key: a subset request never gets another request\'s output set', async () => {
  await withServer({ 'm/config.pbtxt': twoIo(CACHED), 'm/1/': null }, ['local,size=1048576'], async (server) => {
    const inputs = [t('INPUT0', [1, 2]), t('INPUT1', [3, 4])];
    const all = await server.infer({ modelName: 'm', inputs });
    assert.deepEqual(all.outputs.map((o) => o.name), ['OUTPUT0', 'OUTPUT1']);
    const subset = await server.infer({ modelName: 'm', inputs, outputs: [{ name: 'OUTPUT1' }] });
    assert.deepEqual(subset.outputs.map((o) => o.name), ['OUTPUT1']);
    assert.deepEqual(readFp32(subset.outputs[0]!.data), [3, 4]);
    const again = await server.infer({ modelName: 'm', inputs: [...inputs].reverse(), outputs: [{ name: 'OUTPUT1' }] });
    assert.deepEqual(again.outputs.map((o) => o.name), ['OUTPUT1']);
    const s = stats(server, 'm');
    assert.equal(s.execution_count, 2);
    assert.equal(s.inference_stats.cache_hit!.count, 1);
  });
});

test('classification is applied to cached outputs as to executed ones', async () => {
  await withServer({ 'm/config.pbtxt': identityConfig(CACHED), 'm/1/': null }, ['local,size=1048576'], async (server) => {
    const req = { modelName: 'm', inputs: [t('INPUT0', [0.1, 0.9, 0.5])], outputs: [{ name: 'OUTPUT0', classification: 2 }] };
    const first = await server.infer(req);
    const second = await server.infer(req);
    assert.deepEqual(second.outputs[0]!.data, first.outputs[0]!.data);
    assert.equal(second.outputs[0]!.datatype, 'BYTES');
    // The cache holds the backend's outputs: the same request without classification hits the same
    // entry and gets the plain tensor.
    const plain = await one(server, 'm', [0.1, 0.9, 0.5]);
    assert.equal(plain.outputs[0]!.datatype, 'FP32');
    assert.deepEqual(readFp32(plain.outputs[0]!.data), [0.1, 0.9, 0.5].map((v) => Math.fround(v)));
    const s = stats(server, 'm');
    assert.equal(s.inference_stats.cache_hit!.count, 2);
    assert.equal(s.execution_count, 1);
  });
});

test('models without response_cache, and servers without a cache, execute every request', async () => {
  await withServer(
    { 'plain/config.pbtxt': identityConfig(), 'plain/1/': null, 'cached/config.pbtxt': identityConfig(CACHED), 'cached/1/': null },
    ['local,size=1048576'],
    async (server) => {
      await one(server, 'plain', [1]);
      await one(server, 'plain', [1]);
      const s = stats(server, 'plain');
      assert.equal(s.execution_count, 2);
      assert.equal(s.inference_stats.cache_hit!.count, 0);
      assert.equal(s.inference_stats.cache_miss!.count, 0);
    },
  );
  await withServer({ 'cached/config.pbtxt': identityConfig(CACHED), 'cached/1/': null }, undefined, async (server) => {
    await one(server, 'cached', [1]);
    await one(server, 'cached', [1]);
    const s = stats(server, 'cached');
    assert.equal(s.execution_count, 2);
    assert.equal(s.inference_stats.cache_hit!.count, 0);
    assert.equal(s.inference_stats.cache_miss!.count, 0);
  });
});

/** Echoes INPUT0, but fails every request whose first value is negative. */
const FLAKY_BACKEND = pluginBackend('test_flaky', `
          for (const r of requests) {
            const first = new Float32Array(r.inputs[0].data.slice().buffer)[0];
            if (first < 0) r.respondError(new Error('negative input'));
            else r.respond({ outputs: [{ ...r.inputs[0], name: 'OUTPUT0' }] });
          }`);

test('failed responses are not cached: the same request executes again', async () => {
  const repo = makeRepo({
    'm/config.pbtxt': identityConfig(CACHED).replace('backend: "identity"', 'backend: "test_flaky"'),
    'm/1/': null,
  });
  const backends = makeRepo({ 'test_flaky/index.mjs': FLAKY_BACKEND });
  const { server } = await createInferenceServer({
    modelRepository: repo.dir, backendDirectory: backends.dir, cacheConfig: ['local,size=4096'],
  });
  try {
    await assert.rejects(one(server, 'm', [-1, 2]), /negative input/);
    await assert.rejects(one(server, 'm', [-1, 2]), /negative input/);
    await one(server, 'm', [1, 2]);
    await one(server, 'm', [1, 2]);
    const s = stats(server, 'm');
    assert.equal(s.execution_count, 3);
    assert.equal(s.inference_stats.fail!.count, 2);
    assert.equal(s.inference_stats.cache_miss!.count, 1);
    assert.equal(s.inference_stats.cache_hit!.count, 1);
  } finally {
    await server.shutdown(1000);
    repo.cleanup();
    backends.cleanup();
  }
});

test('a small budget evicts older responses: they execute again', async () => {
  // Each entry costs 4 * 64 data bytes plus bookkeeping (< 512): 700 bytes hold one.
  await withServer({ 'm/config.pbtxt': identityConfig(CACHED), 'm/1/': null }, ['local,size=700'], async (server) => {
    const row = (v: number): number[] => Array.from({ length: 64 }, () => v);
    await one(server, 'm', row(1));
    await one(server, 'm', row(1)); // hit
    await one(server, 'm', row(2)); // evicts row(1)
    await one(server, 'm', row(1)); // executes again
    const s = stats(server, 'm');
    assert.equal(s.execution_count, 3);
    assert.equal(s.inference_stats.cache_hit!.count, 1);
  });
});
