/**
 * --model-control-mode=explicit over real HTTP and gRPC: start-up models, load/unload/reload, index
 * states and reasons, refusal in other modes, Triton's messages.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceServerError } from '@inferd/client';
import { indexLines, startLive, tagOf, taggedConfig, waitFor } from './support.js';

test('explicit: nothing loads but --load-model names; the index lists every model on disk', async () => {
  const live = await startLive(
    { 'a/config.pbtxt': taggedConfig(1), 'a/1/': null, 'b/config.pbtxt': taggedConfig(2), 'b/1/': null },
    { modelControlMode: 'explicit', loadModels: ['b'] },
  );
  try {
    assert.deepEqual(live.failed, []);
    assert.deepEqual(indexLines(live.server), ['a', 'b:1=READY']);
    const httpIndex = await live.http.getModelRepositoryIndex();
    assert.deepEqual(httpIndex, [{ name: 'a' }, { name: 'b', version: '1', state: 'READY' }]);
    assert.equal(live.server.ready(), true, 'never-loaded models do not make the server unready');
    await assert.rejects(tagOf(live.http, 'a'), (e: unknown) => e instanceof InferenceServerError && e.status === 404);
  } finally {
    await live.close();
  }
});

test('explicit: load, infer, unload, reload over HTTP and gRPC with index states', async () => {
  const live = await startLive({ 'm/config.pbtxt': taggedConfig(7), 'm/1/': null }, { modelControlMode: 'explicit' });
  try {
    for (const client of [live.http, live.grpc]) {
      await client.loadModel('m');
      assert.deepEqual(indexLines(live.server), ['m:1=READY']);
      assert.equal(await tagOf(client, 'm'), 7);
      await client.unloadModel('m');
      await waitFor(() => indexLines(live.server)[0] === 'm:1=UNAVAILABLE (unloaded)');
      assert.equal(await live.server.ready(), true, 'unloaded versions are tolerated by strict readiness');
      await assert.rejects(tagOf(client, 'm'), (e: unknown) => e instanceof InferenceServerError);
      // Unloading again (not loaded) succeeds, as in Triton.
      await client.unloadModel('m');
    }
    // Loading a loaded model reloads it: a changed config on disk is picked up.
    await live.http.loadModel('m');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${live.repo}/m/config.pbtxt`, taggedConfig(8));
    await live.grpc.loadModel('m');
    assert.equal(await tagOf(live.http, 'm'), 8);
    assert.deepEqual(indexLines(live.server), ['m:1=READY']);
  } finally {
    await live.close();
  }
});

test('explicit: unknown model and refusal messages as Triton', async () => {
  const live = await startLive({ 'm/config.pbtxt': taggedConfig(1), 'm/1/': null }, { modelControlMode: 'explicit' });
  try {
    await assert.rejects(live.http.loadModel('nope'), (e: unknown) =>
      e instanceof InferenceServerError && e.status === 500 && e.message === "failed to load 'nope', failed to poll from model repository");
    await assert.rejects(live.grpc.loadModel('nope'), (e: unknown) =>
      e instanceof InferenceServerError && e.code === 13 && e.message.includes("failed to load 'nope', failed to poll from model repository"));
    await live.http.unloadModel('nope'); // unloading an unknown model is not an error
  } finally {
    await live.close();
  }
  for (const mode of ['none', 'poll'] as const) {
    const other = await startLive({ 'm/config.pbtxt': taggedConfig(1), 'm/1/': null }, { modelControlMode: mode, repositoryPollSecs: 0 });
    try {
      for (const call of [() => other.http.loadModel('m'), () => other.http.unloadModel('m')]) {
        await assert.rejects(call(), (e: unknown) => e instanceof InferenceServerError && e.status === 503
          && e.message === 'explicit model load / unload is not allowed if polling is enabled');
      }
      await assert.rejects(other.grpc.loadModel('m'), (e: unknown) => e instanceof InferenceServerError && e.code === 14);
    } finally {
      await other.close();
    }
  }
});

test('explicit: a load that fails reports the error and leaves the model UNAVAILABLE with the reason', async () => {
  const live = await startLive(
    { 'bad/config.pbtxt': taggedConfig(1).replace('mc_tagged', 'no_such_backend'), 'bad/1/': null },
    { modelControlMode: 'explicit' },
  );
  try {
    await assert.rejects(live.http.loadModel('bad'), (e: unknown) => e instanceof InferenceServerError && e.status === 400 && /no_such_backend/.test(e.message));
    const [entry] = live.server.repositoryIndex();
    assert.equal(entry?.state, 'UNAVAILABLE');
    assert.match(entry?.reason ?? '', /no_such_backend/);
  } finally {
    await live.close();
  }
});

test("explicit: --load-model '*' loads everything; '*' with other names is refused", async () => {
  const files = { 'a/config.pbtxt': taggedConfig(1), 'a/1/': null, 'b/config.pbtxt': taggedConfig(2), 'b/1/': null };
  const live = await startLive(files, { modelControlMode: 'explicit', loadModels: ['*'] });
  try {
    assert.deepEqual(indexLines(live.server), ['a:1=READY', 'b:1=READY']);
  } finally {
    await live.close();
  }
  await assert.rejects(startLive(files, { modelControlMode: 'explicit', loadModels: ['*', 'a'] }),
    /Wildcard model name '\*' must be the ONLY startup model if specified at all/);
});
