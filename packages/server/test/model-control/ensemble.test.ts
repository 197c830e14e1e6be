/**
 * Explicit mode with ensembles: loading one loads its composing models; unloading a composing model
 * unloads the ensembles using it; unload_dependents.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceServerError } from '@inferd/client';
import { ensembleConfig, indexLines, startLive, tagOf, taggedConfig, waitFor } from './support.js';

const FILES = {
  'member/config.pbtxt': taggedConfig(3), 'member/1/': null,
  'ens/config.pbtxt': ensembleConfig('ens', 'member'), 'ens/1/': null,
  'ens2/config.pbtxt': ensembleConfig('ens2', 'member'), 'ens2/1/': null,
  'broken/config.pbtxt': ensembleConfig('broken', 'missing_member'), 'broken/1/': null,
};

test('loading an ensemble loads its composing models first', async () => {
  const live = await startLive(FILES, { modelControlMode: 'explicit' });
  try {
    assert.deepEqual(indexLines(live.server), ['broken', 'ens', 'ens2', 'member']);
    await live.http.loadModel('ens');
    assert.deepEqual(indexLines(live.server), ['broken', 'ens:1=READY', 'ens2', 'member:1=READY']);
    assert.equal(await tagOf(live.grpc, 'ens'), 3);
    await assert.rejects(live.http.loadModel('broken'), (e: unknown) => e instanceof InferenceServerError && e.status === 400
      && e.message === 'ensemble broken contains models that are not available or ambiguous: missing_member');
    // Unloading a composing model unloads the ensembles that need it.
    await live.http.unloadModel('member');
    await waitFor(() => indexLines(live.server).join() === 'broken=UNAVAILABLE (ensemble broken contains models that are not available or ambiguous: missing_member),ens:1=UNAVAILABLE (unloaded),ens2,member:1=UNAVAILABLE (unloaded)');
    // Loading the ensemble again brings the member back.
    await live.grpc.loadModel('ens');
    assert.equal(await tagOf(live.http, 'ens'), 3);
  } finally {
    await live.close();
  }
});

test('unload_dependents unloads the composing models too, unless another loaded ensemble uses them', async () => {
  const live = await startLive(FILES, { modelControlMode: 'explicit', loadModels: ['ens', 'ens2'] });
  try {
    // Without unload_dependents the member stays.
    await live.http.unloadModel('ens2');
    await waitFor(() => indexLines(live.server).includes('ens2:1=UNAVAILABLE (unloaded)'));
    assert.ok(indexLines(live.server).includes('member:1=READY'));
    await live.grpc.loadModel('ens2');
    // ens2 is still loaded and uses the member: it stays.
    await live.grpc.unloadModel('ens', { unloadDependents: true });
    await waitFor(() => indexLines(live.server).includes('ens:1=UNAVAILABLE (unloaded)'));
    assert.ok(indexLines(live.server).includes('member:1=READY'));
    await live.http.unloadModel('ens2', { unloadDependents: true });
    await waitFor(() => indexLines(live.server).join() === 'broken,ens:1=UNAVAILABLE (unloaded),ens2:1=UNAVAILABLE (unloaded),member:1=UNAVAILABLE (unloaded)');
  } finally {
    await live.close();
  }
});
