/**
 * --model-max-loaded and --model-memory-budget (issue 19): least-recently-used eviction order, pinned
 * models (--load-model and the `inferd.pinned` config parameter), models with requests in flight
 * (held on the instance, known through the inferd:execution event), ensembles pinning their members,
 * the clear UNAVAILABLE when nothing can go, and the metrics that count it all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceServerError } from '@inferd/client';
import { ensembleConfig } from '../model-control/support.js';
import { executing, heldConfig, indexLines, loaded, PINNED, startRig, tagOf } from './support.js';

const held = (...names: string[]): Record<string, string | null> => {
  const files: Record<string, string | null> = {};
  names.forEach((n, i) => {
    files[`${n}/config.pbtxt`] = heldConfig(i + 1);
    files[`${n}/1/`] = null;
  });
  return files;
};

test('max-loaded: the least recently used model goes first; the index and metrics follow', async () => {
  const rig = await startRig(held('a', 'b', 'c', 'd'), { modelMaxLoaded: 2 });
  try {
    assert.equal(await tagOf(rig.http, 'a'), 1);
    assert.equal(await tagOf(rig.grpc, 'b'), 2);
    assert.equal(await tagOf(rig.http, 'a'), 1); // a is now the most recently used
    assert.equal(await tagOf(rig.http, 'c'), 3); // evicts b
    assert.deepEqual(loaded(rig.server), ['a', 'c']);
    assert.ok(indexLines(rig.server).some((l) => /^b:1=(UNLOADING|UNAVAILABLE \(unloaded\))$/.test(l)), indexLines(rig.server).join());
    assert.equal(await tagOf(rig.grpc, 'd'), 4); // evicts a
    assert.deepEqual(loaded(rig.server), ['c', 'd']);
    assert.equal(await tagOf(rig.http, 'b'), 2); // b loads again on demand, evicting c
    assert.deepEqual(loaded(rig.server), ['b', 'd']);
    assert.equal(await rig.metric('inferd_model_evictions_total', '{reason="max_loaded"}'), 3);
    assert.equal(await rig.metric('inferd_model_loads_total', '{trigger="on_demand",outcome="success"}'), 5);
    assert.equal(await rig.metric('inferd_models_loaded'), 2);
    assert.equal(await rig.metric('inferd_models_max_loaded'), 2);
    assert.equal(await rig.metric('inferd_model_memory_budget_bytes'), undefined, 'no memory budget set');
    const http = await rig.http.getModelRepositoryIndex();
    assert.deepEqual(http.filter((e) => e.state === 'READY').map((e) => e.name), ['b', 'd']);
  } finally {
    await rig.close();
  }
});

test('max-loaded: the load API makes room the same way', async () => {
  const rig = await startRig(held('a', 'b'), { modelMaxLoaded: 1, modelLoadOnDemand: false });
  try {
    await rig.http.loadModel('a');
    await rig.grpc.loadModel('b');
    assert.deepEqual(loaded(rig.server), ['b']);
    assert.equal(await rig.metric('inferd_model_evictions_total', '{reason="max_loaded"}'), 1);
    assert.equal(await rig.metric('inferd_model_loads_total', '{trigger="control",outcome="success"}'), 2);
  } finally {
    await rig.close();
  }
});

test('pinned: --load-model models and inferd.pinned configs are never evicted; nothing to evict is UNAVAILABLE', async () => {
  const files = held('a', 'b', 'c', 'd');
  files['b/config.pbtxt'] = heldConfig(2, PINNED);
  const rig = await startRig(files, { modelMaxLoaded: 3, loadModels: ['a'] });
  try {
    assert.deepEqual(loaded(rig.server), ['a']);
    assert.equal(await tagOf(rig.http, 'b'), 2);
    assert.equal(await tagOf(rig.http, 'c'), 3);
    // a and b are older than c, but pinned: c goes.
    assert.equal(await tagOf(rig.http, 'd'), 4);
    assert.deepEqual(loaded(rig.server), ['a', 'b', 'd']);
    await rig.http.unloadModel('d');
    await rig.http.loadModel('c');
    assert.equal(await tagOf(rig.http, 'a'), 1);
    assert.equal(await tagOf(rig.http, 'b'), 2);
    assert.equal(await tagOf(rig.http, 'd'), 4); // c was the only one that could go
    assert.deepEqual(loaded(rig.server), ['a', 'b', 'd']);
  } finally {
    await rig.close();
  }
  const full = await startRig(held('a', 'b', 'c'), { modelMaxLoaded: 2, loadModels: ['a', 'b'] });
  try {
    const message = "cannot load model 'c': 2 models are loaded (--model-max-loaded) and none can be unloaded "
      + '(each is pinned, in use by a request, loading, or a member of a loaded ensemble)';
    await assert.rejects(tagOf(full.http, 'c'), (e: unknown) => e instanceof InferenceServerError && e.status === 503 && e.message === message);
    await assert.rejects(tagOf(full.grpc, 'c'), (e: unknown) => e instanceof InferenceServerError && e.code === 14 && e.message === message);
    await assert.rejects(full.http.loadModel('c'), (e: unknown) => e instanceof InferenceServerError && e.status === 503 && e.message === message);
    assert.deepEqual(indexLines(full.server), ['a:1=READY', 'b:1=READY', 'c'], 'a refused load leaves no trace');
    assert.equal(await full.metric('inferd_model_evictions_total', '{reason="max_loaded"}'), undefined);
  } finally {
    await full.close();
  }
});

test('in flight: a model with a request on its instance is not evicted; the request finishes', async () => {
  const rig = await startRig(held('a', 'b', 'c', 'd'), { modelMaxLoaded: 2 });
  try {
    assert.equal(await tagOf(rig.http, 'a'), 1);
    assert.equal(await tagOf(rig.http, 'b'), 2);
    const onA = executing('hold-a');
    const heldA = tagOf(rig.grpc, 'a', true, 'hold-a');
    await onA; // a is the least recently used model with a request in flight
    assert.equal(await tagOf(rig.http, 'c'), 3); // so b goes, not a
    assert.deepEqual(loaded(rig.server), ['a', 'c']);
    const onC = executing('hold-c');
    const heldC = tagOf(rig.http, 'c', true, 'hold-c');
    await onC;
    await assert.rejects(tagOf(rig.http, 'd'), (e: unknown) => e instanceof InferenceServerError && e.status === 503
      && e.message.startsWith("cannot load model 'd': 2 models are loaded (--model-max-loaded) and none can be unloaded"));
    rig.execGate.open();
    assert.equal(await heldA, 1);
    assert.equal(await heldC, 3);
    assert.equal(await tagOf(rig.http, 'd'), 4); // now idle: a (least recently used) goes
    assert.deepEqual(loaded(rig.server), ['c', 'd']);
  } finally {
    await rig.close();
  }
});

test('ensembles pin their members while loaded', async () => {
  const files = held('a', 'b', 'c');
  files['e/config.pbtxt'] = ensembleConfig('e', 'a');
  files['e/1/'] = null;
  const rig = await startRig(files, { modelMaxLoaded: 2 });
  try {
    assert.equal(await tagOf(rig.http, 'e'), 1); // loads a, then e (ensembles do not count)
    assert.deepEqual(loaded(rig.server), ['a', 'e']);
    assert.equal(await tagOf(rig.http, 'b'), 2);
    assert.equal(await tagOf(rig.http, 'c'), 3); // a is older but e uses it: b goes
    assert.deepEqual(loaded(rig.server), ['a', 'c', 'e']);
    await rig.http.unloadModel('e');
    assert.equal(await tagOf(rig.http, 'b'), 2); // a is free now and the least recently used
    assert.deepEqual(loaded(rig.server), ['b', 'c']);
  } finally {
    await rig.close();
  }
});

test('memory budget: estimates from the files; the least recently used goes; too large is refused', async () => {
  const MiB = 1 << 20;
  const weights = new Uint8Array(32 * MiB);
  const files: Record<string, string | Uint8Array | null> = { ...held('x', 'y', 'z', 'big') };
  for (const n of ['x', 'y', 'z']) files[`${n}/1/weights.bin`] = weights;
  files['big/1/weights.bin'] = new Uint8Array(90 * MiB);
  const rig = await startRig(files, { modelMemoryBudget: 80 * MiB });
  try {
    const bytes = 32 * MiB + Buffer.byteLength(heldConfig(1));
    assert.equal(await tagOf(rig.http, 'x'), 1);
    assert.equal(await tagOf(rig.http, 'y'), 2);
    // The estimate is the files' size unless the load grew RSS by more (a JS model does not grow it by 32 MiB).
    assert.equal(await rig.metric('inferd_model_memory_estimate_bytes'), 2 * bytes);
    assert.equal(await rig.metric('inferd_model_memory_budget_bytes'), 80 * MiB);
    assert.equal(await tagOf(rig.grpc, 'z'), 3);
    assert.deepEqual(loaded(rig.server), ['y', 'z']);
    assert.equal(await rig.metric('inferd_model_evictions_total', '{reason="memory_budget"}'), 1);
    assert.equal(await rig.metric('inferd_model_memory_estimate_bytes'), 2 * bytes);
    const big = 90 * MiB + Buffer.byteLength(heldConfig(4));
    await assert.rejects(tagOf(rig.http, 'big'), (e: unknown) => e instanceof InferenceServerError && e.status === 503
      && e.message === `cannot load model 'big': its estimated size of ${big} bytes is more than --model-memory-budget=${80 * MiB}`);
    assert.deepEqual(loaded(rig.server), ['y', 'z'], 'a refused load evicts nothing');
  } finally {
    await rig.close();
  }
});
