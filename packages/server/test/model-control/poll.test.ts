/**
 * --model-control-mode=poll with a 1 s interval (wide margins, no speed assertions): an edited config
 * reloads, a broken one keeps the old version serving with the reason in the index, new models load,
 * removed ones unload.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { indexLines, startLive, tagOf, taggedConfig, waitFor, writeFiles } from './support.js';

test('poll: edits reload, broken edits keep the old version with the reason, new and removed models follow', async () => {
  const live = await startLive({ 'm/config.pbtxt': taggedConfig(1), 'm/1/': null }, { modelControlMode: 'poll', repositoryPollSecs: 1 });
  try {
    assert.equal(await tagOf(live.http, 'm'), 1);
    writeFileSync(join(live.repo, 'm', 'config.pbtxt'), taggedConfig(2));
    await waitFor(async () => (await tagOf(live.http, 'm')) === 2);
    assert.deepEqual(indexLines(live.server), ['m:1=READY']);

    // Broken: the old version keeps serving, the index shows why.
    writeFileSync(join(live.repo, 'm', 'config.pbtxt'), taggedConfig(3).replace('mc_tagged', 'no_such_backend'));
    await waitFor(() => /no_such_backend/.test(live.server.repositoryIndex()[0]?.reason ?? ''));
    assert.equal(live.server.repositoryIndex()[0]?.state, 'READY');
    assert.equal(await tagOf(live.grpc, 'm'), 2);

    // Fixed again: reloads and the reason clears.
    writeFileSync(join(live.repo, 'm', 'config.pbtxt'), taggedConfig(4));
    await waitFor(async () => (await tagOf(live.http, 'm')) === 4);
    assert.deepEqual(indexLines(live.server), ['m:1=READY']);

    // A new version directory is a change too (the default policy serves the latest).
    writeFiles(live.repo, { 'm/2/': null });
    await waitFor(() => indexLines(live.server).join() === 'm:1=UNAVAILABLE (unloaded),m:2=READY');

    // New model loads; a removed one unloads.
    writeFiles(live.repo, { 'n/config.pbtxt': taggedConfig(5), 'n/1/': null });
    await waitFor(() => indexLines(live.server).includes('n:1=READY'));
    assert.equal(await tagOf(live.http, 'n'), 5);
    rmSync(join(live.repo, 'n'), { recursive: true });
    await waitFor(() => !indexLines(live.server).some((l) => l.startsWith('n')));
    await assert.rejects(tagOf(live.http, 'n'), /unknown model/);

    // The load/unload API stays refused in poll mode.
    await assert.rejects(live.http.loadModel('m'), /explicit model load \/ unload is not allowed if polling is enabled/);
  } finally {
    await live.close();
  }
});
