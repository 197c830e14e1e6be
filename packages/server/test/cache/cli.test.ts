/** `--cache-config` through the real CLI: a cached model over HTTP, and the start-up errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, startServe } from '../support/spawn-cli.js';
import { identityConfig, makeRepo } from '../support/temp-repo.js';

test('--cache-config local,size=N: the second identical request is a cache hit (stats over HTTP)', async () => {
  const repo = makeRepo({ 'm/config.pbtxt': identityConfig('response_cache { enable: true }'), 'm/1/': null });
  const run = await startServe(['--model-repository', repo.dir, '--cache-config', 'local,size=1048576']);
  try {
    const body = JSON.stringify({ inputs: [{ name: 'INPUT0', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] });
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${run.url}/v2/models/m/infer`, { method: 'POST', body });
      assert.equal(res.status, 200);
      const json = (await res.json()) as { outputs: { name: string; data: number[] }[] };
      assert.deepEqual(json.outputs[0]!.data, [1, 2, 3]);
    }
    const stats = (await (await fetch(`${run.url}/v2/models/m/stats`)).json()) as {
      model_stats: { execution_count: number; inference_stats: Record<string, { count: number }> }[];
    };
    const s = stats.model_stats[0]!;
    assert.equal(s.execution_count, 1);
    assert.equal(s.inference_stats.cache_hit!.count, 1);
    assert.equal(s.inference_stats.cache_miss!.count, 1);
    assert.equal(s.inference_stats.success!.count, 2);
    assert.doesNotMatch(run.stderr(), /--cache-config is accepted for compatibility/);
  } finally {
    run.child.kill('SIGTERM');
    await run.exited;
    repo.cleanup();
  }
});

test('an unknown cache (redis), a missing size or both cache flags stop start-up with a clear error', async () => {
  const redis = runCli(['serve', '--model-repository', 'examples/models', '--cache-config', 'redis,host=localhost']);
  assert.equal(await redis.exited, 2);
  assert.match(redis.stderr(), /cache 'redis' is not available in inferd \(only 'local' is\)/);
  const noSize = runCli(['serve', '--model-repository', 'examples/models', '--cache-config=local']);
  assert.equal(await noSize.exited, 2);
  assert.match(noSize.stderr(), /the local cache needs a size/);
  const both = runCli(['serve', '--model-repository', 'examples/models', '--cache-config=local,size=1', '--response-cache-byte-size=2']);
  assert.equal(await both.exited, 2);
  assert.match(both.stderr(), /Incompatible flags --response-cache-byte-size and --cache-config/);
});
