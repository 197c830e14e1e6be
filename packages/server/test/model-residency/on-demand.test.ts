/**
 * --model-load-on-demand (issue 19) through the public interfaces: an infer request over HTTP, gRPC
 * (unary and stream) or the in-process API for a model on disk that is not loaded loads it (real ONNX
 * Runtime) and is answered; concurrent requests share one load; a failed load answers all of them;
 * a request cancelled while it waits is answered at once and leaves no listener behind; metadata and
 * readiness calls never load.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { InferenceServerError, InferInput } from '@inferd/client';
import { fp32, readFp32 } from '../support/temp-repo.js';
import { writeFiles } from '../model-control/support.js';
import { Gate, indexLines, scaleFiles, scaleOf, startRig } from './support.js';

const X = { name: 'X', datatype: 'FP32' as const, shape: [1, 4], data: fp32([1, 2, 3, 4]) };

test('on demand: HTTP and gRPC requests load a model that is not loaded, and are answered by it', async () => {
  const rig = await startRig({ ...scaleFiles('a', 2), ...scaleFiles('b', 3) });
  try {
    assert.deepEqual(indexLines(rig.server), ['a', 'b']);
    assert.deepEqual(await scaleOf(rig.http, 'a'), [2, 4, 6, 8]);
    assert.deepEqual(indexLines(rig.server), ['a:1=READY', 'b']);
    assert.deepEqual(await scaleOf(rig.grpc, 'b'), [3, 6, 9, 12]);
    assert.deepEqual(indexLines(rig.server), ['a:1=READY', 'b:1=READY']);
    // Loaded now: the next requests are plain hits (no second load).
    assert.deepEqual(await scaleOf(rig.grpc, 'a'), [2, 4, 6, 8]);
    assert.deepEqual(rig.onnxLoads, ['a', 'b']);
    assert.equal(await rig.metric('inferd_model_loads_total', '{trigger="on_demand",outcome="success"}'), 2);
    assert.equal(await rig.metric('inferd_model_load_wait_seconds_count', '{outcome="loaded"}'), 2);
    assert.equal(await rig.metric('inferd_models_loaded'), 2);
    // An explicit unload makes the model loadable on demand again.
    await rig.http.unloadModel('a');
    assert.deepEqual(await scaleOf(rig.http, 'a'), [2, 4, 6, 8]);
    assert.deepEqual(rig.onnxLoads, ['a', 'b', 'a']);
  } finally {
    await rig.close();
  }
});

test('on demand: a gRPC stream request and an in-process request load the model too', async () => {
  const rig = await startRig({ ...scaleFiles('s', 5), ...scaleFiles('p', 7) });
  try {
    const stream = rig.grpc.stream();
    stream.send('s', [new InferInput('X', [1, 4], 'FP32').setData([1, 2, 3, 4])], { requestId: 'r1' });
    const first = await stream.next();
    assert.equal(first.done, false);
    const r = first.value as { result?: { asTypedArray(n: string): unknown }; error?: Error; requestId: string };
    assert.equal(r.error, undefined);
    assert.equal(r.requestId, 'r1');
    assert.deepEqual([...(r.result!.asTypedArray('Y') as Float32Array)], [5, 10, 15, 20]);
    stream.end();
    assert.equal((await stream.next()).done, true);
    const local = await rig.server.infer({ modelName: 'p', inputs: [X] });
    assert.deepEqual(readFp32(local.outputs[0]!.data), [7, 14, 21, 28]);
  } finally {
    await rig.close();
  }
});

test('on demand: concurrent requests for one model share one load', async () => {
  const rig = await startRig(scaleFiles('m', 4));
  try {
    rig.loadGate = new Gate();
    const answers = [
      scaleOf(rig.http, 'm'), scaleOf(rig.grpc, 'm'), scaleOf(rig.http, 'm'),
      rig.server.infer({ modelName: 'm', inputs: [X] }).then((r) => readFp32(r.outputs[0]!.data)),
    ];
    await rig.loadGate.reached;
    await waitUntil(() => rig.server.inflightCount === 4);
    // The load is held in the backend: every request above is waiting for that one load.
    assert.deepEqual(indexLines(rig.server), ['m=LOADING']);
    rig.loadGate.open();
    for (const a of await Promise.all(answers)) assert.deepEqual(a, [4, 8, 12, 16]);
    assert.deepEqual(rig.onnxLoads, ['m']);
    assert.equal(await rig.metric('inferd_model_loads_total', '{trigger="on_demand",outcome="success"}'), 1);
  } finally {
    await rig.close();
  }
});

test('on demand: a load that fails answers every waiting request with its reason (UNAVAILABLE)', async () => {
  const broken = { 'bad/config.pbtxt': scaleFiles('bad', 1)['bad/config.pbtxt']!, 'bad/1/model.onnx': new Uint8Array([1, 2, 3]) };
  const rig = await startRig(broken);
  try {
    rig.loadGate = new Gate();
    const calls = [scaleOf(rig.http, 'bad'), scaleOf(rig.grpc, 'bad'), rig.server.infer({ modelName: 'bad', inputs: [X] })];
    const settled = Promise.allSettled(calls);
    await rig.loadGate.reached;
    await waitUntil(() => rig.server.inflightCount === 3);
    rig.loadGate.open();
    const [h, g, p] = await settled;
    assert.equal(h.status, 'rejected');
    assert.equal(g.status, 'rejected');
    assert.equal(p.status, 'rejected');
    const httpErr = (h as PromiseRejectedResult).reason as InferenceServerError;
    const grpcErr = (g as PromiseRejectedResult).reason as InferenceServerError;
    const localErr = (p as PromiseRejectedResult).reason as { code: string; message: string };
    assert.equal(httpErr.status, 503);
    assert.equal(grpcErr.code, 14);
    assert.equal(localErr.code, 'UNAVAILABLE');
    assert.match(localErr.message, /^load failed for model 'bad': version 1 is at UNAVAILABLE state: /);
    assert.equal(httpErr.message, localErr.message);
    assert.equal(grpcErr.message, localErr.message);
    assert.equal(rig.onnxLoads.length, 1, 'one load for the three requests');
    assert.equal(await rig.metric('inferd_model_loads_total', '{trigger="on_demand",outcome="failure"}'), 1);
    assert.equal(await rig.metric('inferd_model_load_wait_seconds_count', '{outcome="failed"}'), 3);
    assert.equal(await rig.metric('inferd_models_loaded'), 0);
  } finally {
    await rig.close();
  }
});

test('on demand: a request cancelled while its model loads is answered at once; the load goes on', async () => {
  const rig = await startRig(scaleFiles('slow', 6));
  try {
    rig.loadGate = new Gate();
    // In-process: an AbortSignal.
    const controller = new AbortController();
    const local = rig.server.infer({ modelName: 'slow', inputs: [X], signal: controller.signal });
    await rig.loadGate.reached;
    assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
    controller.abort();
    await assert.rejects(local, (e: unknown) => (e as { code?: string }).code === 'CANCELLED');
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0, 'no listener left behind');
    // HTTP (the client closes its connection) and gRPC (the call is cancelled) while the load is still held.
    const httpAbort = new AbortController();
    const grpcAbort = new AbortController();
    const h = scaleOf(rig.http, 'slow', { signal: httpAbort.signal });
    const g = scaleOf(rig.grpc, 'slow', { signal: grpcAbort.signal });
    await waitUntil(async () => (await rig.metric('inferd_model_load_wait_seconds_count', '{outcome="cancelled"}')) === 1
      && rig.server.inflightCount === 2);
    httpAbort.abort();
    grpcAbort.abort();
    await assert.rejects(h, (e: unknown) => e instanceof InferenceServerError && e.aborted);
    await assert.rejects(g, (e: unknown) => e instanceof InferenceServerError && e.aborted);
    // The server saw both cancellations before the load finished: nothing waits any more.
    await waitUntil(async () => rig.server.inflightCount === 0);
    assert.equal(await rig.metric('inferd_model_load_wait_seconds_count', '{outcome="cancelled"}'), 3);
    assert.deepEqual(indexLines(rig.server), ['slow=LOADING']);
    // A request that waits normally keeps its signal clean too.
    const kept = new AbortController();
    const ok = rig.server.infer({ modelName: 'slow', inputs: [X], signal: kept.signal });
    rig.loadGate.open();
    assert.deepEqual(readFp32((await ok).outputs[0]!.data), [6, 12, 18, 24]);
    assert.equal(getEventListeners(kept.signal, 'abort').length, 0);
    assert.deepEqual(rig.onnxLoads, ['slow']);
    assert.equal(await rig.metric('inferd_model_load_wait_seconds_count', '{outcome="loaded"}'), 1);
  } finally {
    await rig.close();
  }
});

test('on demand: the repository is read at each load: added, changed and removed models', async () => {
  const rig = await startRig(scaleFiles('a', 2), { modelMaxLoaded: 1 });
  try {
    assert.deepEqual(await scaleOf(rig.http, 'a'), [2, 4, 6, 8]);
    writeFiles(rig.repo, scaleFiles('b', 3)); // added after start
    assert.deepEqual(await scaleOf(rig.http, 'b'), [3, 6, 9, 12]); // evicts a
    writeFiles(rig.repo, scaleFiles('a', 10)); // changed on disk while evicted
    assert.deepEqual(await scaleOf(rig.grpc, 'a'), [10, 20, 30, 40]);
    rmSync(join(rig.repo, 'b'), { recursive: true });
    await assert.rejects(scaleOf(rig.http, 'b'), (e: unknown) => e instanceof InferenceServerError && e.status === 404
      && e.message === "Request for unknown model: 'b' has no available versions");
  } finally {
    await rig.close();
  }
});

test('on demand: metadata, config and readiness never load; unknown models keep Triton answers', async () => {
  const rig = await startRig(scaleFiles('m', 2));
  try {
    assert.equal(await rig.http.isModelReady('m'), false);
    assert.equal(await rig.grpc.isModelReady('m'), false);
    await assert.rejects(rig.http.getModelMetadata('m'), (e: unknown) => e instanceof InferenceServerError && e.status === 404
      && e.message === "Request for unknown model: 'm' has no available versions");
    await assert.rejects(rig.grpc.getModelConfig('m'), (e: unknown) => e instanceof InferenceServerError);
    assert.deepEqual(indexLines(rig.server), ['m']);
    assert.deepEqual(rig.onnxLoads, []);
    // A model that is not in the repository: the usual NOT_FOUND, no load attempted.
    await assert.rejects(scaleOf(rig.http, 'nope'), (e: unknown) => e instanceof InferenceServerError
      && e.message === "Request for unknown model: 'nope' is not found");
    await assert.rejects(scaleOf(rig.grpc, '..'), (e: unknown) => e instanceof InferenceServerError && e.code === 5);
    assert.equal(await rig.metric('inferd_model_loads_total', '{trigger="on_demand",outcome="success"}'), undefined);
  } finally {
    await rig.close();
  }
});

test('without --model-load-on-demand, explicit mode still refuses requests for models not loaded', async () => {
  const rig = await startRig(scaleFiles('m', 2), { modelLoadOnDemand: false });
  try {
    await assert.rejects(scaleOf(rig.http, 'm'), (e: unknown) => e instanceof InferenceServerError
      && /^Request for unknown model: 'm' (is not found|has no available versions)$/.test(e.message));
    assert.deepEqual(rig.onnxLoads, []);
  } finally {
    await rig.close();
  }
});

async function waitUntil(cond: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
