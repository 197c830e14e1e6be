/**
 * Reload under concurrent load: requests in flight finish on the old version, new ones go to the new
 * version, none fail; a failed reload keeps the old version serving and the index shows why.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { executing, indexLines, startLive, tagOf, taggedConfig, taggedConfigJson, waitFor } from './support.js';

test('reloads under concurrent HTTP and gRPC load: zero failed requests, new requests see the new version', async () => {
  const live = await startLive({ 'm/config.pbtxt': taggedConfig(1), 'm/1/': null }, { modelControlMode: 'explicit', loadModels: ['m'] });
  try {
    let stop = false;
    let ok = 0;
    const failures: string[] = [];
    const seen = new Set<number>();
    const clients = [live.http, live.grpc];
    const workers = Array.from({ length: 8 }, async (_, i) => {
      while (!stop) {
        try {
          seen.add(await tagOf(clients[i % 2]!, 'm', 5));
          ok += 1;
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    });
    // A long request in flight across the reloads must finish on the version it started on.
    const started = executing('long');
    const longOnOld = tagOf(live.http, 'm', 1500, 'long');
    await started;
    for (const tag of [2, 3, 4]) {
      await (tag % 2 === 0 ? live.http : live.grpc).loadModel('m', { config: taggedConfigJson(tag) });
      // Once load returns, every new request is served by the new version.
      assert.equal(await tagOf(live.http, 'm'), tag);
      assert.equal(await tagOf(live.grpc, 'm'), tag);
      // The workers go on across the swap: a few more answers each before the next reload.
      const okNow = ok;
      await waitFor(() => ok >= okNow + 8);
    }
    stop = true;
    await Promise.all(workers);
    assert.equal(await longOnOld, 1, 'the in-flight request finished on the old version');
    assert.deepEqual(failures, [], `failed requests: ${failures.length}`);
    assert.ok(ok > 0);
    assert.ok(seen.has(1) && seen.has(4), `tags seen: ${[...seen].join(',')}`);
    assert.deepEqual(indexLines(live.server), ['m:1=READY']);
  } finally {
    await live.close();
  }
});

test('a failed reload keeps the old version serving, returns the error and the index shows the reason', async () => {
  const live = await startLive({ 'm/config.pbtxt': taggedConfig(1), 'm/1/': null }, { modelControlMode: 'explicit', loadModels: ['m'] });
  try {
    let stop = false;
    const failures: string[] = [];
    const worker = (async () => {
      while (!stop) {
        try {
          assert.equal(await tagOf(live.grpc, 'm', 2), 1);
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    })();
    await assert.rejects(live.http.loadModel('m', { config: taggedConfigJson(2, { fail_load: 'yes' }) }),
      (e: unknown) => (e as { status?: number }).status === 400 && /asked to fail/.test((e as Error).message));
    assert.equal(await tagOf(live.http, 'm'), 1);
    const [entry] = live.server.repositoryIndex();
    assert.equal(entry?.state, 'READY');
    assert.match(entry?.reason ?? '', /asked to fail/);
    stop = true;
    await worker;
    assert.deepEqual(failures, []);
    // A good reload afterwards clears the reason.
    await live.http.loadModel('m', { config: taggedConfigJson(3) });
    assert.equal(await tagOf(live.http, 'm'), 3);
    assert.deepEqual(indexLines(live.server), ['m:1=READY']);
  } finally {
    await live.close();
  }
});

test('unload lets in-flight requests finish and refuses new ones', async () => {
  const live = await startLive({ 'm/config.pbtxt': taggedConfig(9), 'm/1/': null }, { modelControlMode: 'explicit', loadModels: ['m'] });
  try {
    const started = Promise.all([executing('a'), executing('b')]);
    const inFlight = [tagOf(live.http, 'm', 800, 'a'), tagOf(live.grpc, 'm', 800, 'b')];
    await started;
    await live.http.unloadModel('m');
    await assert.rejects(tagOf(live.http, 'm'), /unknown model/);
    assert.deepEqual(await Promise.all(inFlight), [9, 9]);
  } finally {
    await live.close();
  }
});
