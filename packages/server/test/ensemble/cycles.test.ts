/**
 * Ensembles whose membership loops back, found by the one cycle check of repository/ensemble-graph.ts
 * both at start-up (every ensemble seen at once) and on a load through the API (members loaded depth
 * first): the same Triton wording either way, and the models outside the loop still load.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ensembleConfig, startServer, step } from './support.js';
import { identityConfig } from '../support/temp-repo.js';
import type { RepoFiles } from '../support/temp-repo.js';

const IO = 'input [ { name: "IN" data_type: TYPE_FP32 dims: [ -1 ] } ]\noutput [ { name: "OUT" data_type: TYPE_FP32 dims: [ -1 ] } ]';
const uses = (name: string, member: string): RepoFiles => ({
  [`${name}/config.pbtxt`]: ensembleConfig(name, `${IO}\nensemble_scheduling { ${step(member, { IN: 'IN' }, { OUT: 'OUT' })} }`),
  [`${name}/1/`]: null,
});
// a -> b -> c -> a loops; outer uses a; tail -> b reaches the loop without being on it.
const FILES: RepoFiles = { ...uses('a', 'b'), ...uses('b', 'c'), ...uses('c', 'a'), ...uses('outer', 'a'), ...uses('tail', 'b') };
const loop = (from: string, last: string) => `circular dependency between ensembles: ${from} -> ... -> ${last} -> ${from}`;
const notValid = (name: string, member: string, error: string) =>
  `ensemble '${name}' depends on '${member}' which is not valid. Model '${member}' failed with error: ${error}`;

test('start-up: each ensemble on the loop names it from itself; ensembles reaching it fail on their member', async () => {
  const s = await startServer({ ...FILES, 'id/config.pbtxt': identityConfig(), 'id/1/': null });
  try {
    const reason = new Map(s.server.repositoryIndex().map((e) => [e.name, e.reason]));
    assert.equal(reason.get('a'), loop('a', 'c'));
    assert.equal(reason.get('b'), loop('b', 'a'));
    assert.equal(reason.get('c'), loop('c', 'b'));
    assert.equal(reason.get('outer'), notValid('outer', 'a', loop('a', 'c')));
    assert.equal(reason.get('tail'), notValid('tail', 'b', loop('b', 'a')));
    assert.deepEqual([...s.failed].sort(), ['a', 'b', 'c', 'outer', 'tail']);
    assert.equal(s.server.repositoryIndex().find((e) => e.name === 'id')?.state, 'READY');
  } finally {
    await s.close();
  }
});

test('API load: the member that closes the loop fails with the cycle, the ensembles above it on their member', async () => {
  const s = await startServer({ ...FILES, 'id/config.pbtxt': identityConfig(), 'id/1/': null }, { modelControlMode: 'explicit' });
  try {
    // outer -> a -> b -> c, and c's member a is already on the path: c fails with the loop seen from a.
    await assert.rejects(s.server.loadModel('outer'), { message: notValid('outer', 'a', notValid('a', 'b', notValid('b', 'c', loop('a', 'c')))) });
    const reason = new Map(s.server.repositoryIndex().map((e) => [e.name, e.reason]));
    assert.equal(reason.get('c'), loop('a', 'c'));
    assert.equal(reason.get('b'), notValid('b', 'c', loop('a', 'c')));
    // Loading a member of the loop directly: the loop is named from the model asked for.
    await assert.rejects(s.server.loadModel('b'), { message: notValid('b', 'c', notValid('c', 'a', loop('b', 'a'))) });
    await s.server.loadModel('id');
    assert.equal(s.server.repositoryIndex().find((e) => e.name === 'id')?.state, 'READY');
  } finally {
    await s.close();
  }
});
