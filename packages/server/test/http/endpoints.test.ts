import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request, startHarness, type Harness } from '../support/http-harness.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h.close();
});

const get = (path: string) => request(h.port, 'GET', path);
const post = (path: string, body?: string) => request(h.port, 'POST', path, body === undefined ? {} : { body });
const error = (text: string) => JSON.parse(text).error as string;

test('health live/ready: 200 with empty bodies; wrong method 405', async () => {
  for (const p of ['/v2/health/live', '/v2/health/ready']) {
    const r = await get(p);
    assert.equal(r.status, 200);
    assert.equal(r.body.byteLength, 0);
  }
  const r = await post('/v2/health/live');
  assert.equal(r.status, 405);
  assert.equal(r.text, '{"error":"Method Not Allowed"}');
});

test('server metadata', async () => {
  const r = await get('/v2');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(r.text), h.server.metadata());
});

test('unknown routes are 404 Not Found; queries are ignored', async () => {
  for (const p of ['/v3', '/v2/models', '/v2/models/simple/versions/x/infer', '/v2/models/simple/versions/1/trace/setting', '/']) {
    const r = await get(p);
    assert.equal(r.status, 404, p);
    assert.equal(r.text, '{"error":"Not Found"}');
  }
  assert.equal((await get('/v2?x=1')).status, 200);
});

test('model metadata, with and without version, percent-decoded names', async () => {
  const r = await get('/v2/models/simple');
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.text), {
    name: 'simple', versions: ['1'], platform: 'identity',
    inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [-1, 16] }, { name: 'INPUT1', datatype: 'INT32', shape: [-1, 16] }],
    outputs: [{ name: 'OUTPUT0', datatype: 'INT32', shape: [-1, 16] }, { name: 'OUTPUT1', datatype: 'INT32', shape: [-1, 16] }],
  });
  assert.deepEqual(JSON.parse((await get('/v2/models/two_versions')).text).versions, ['1', '2']);
  assert.deepEqual(JSON.parse((await get('/v2/models/two_versions/versions/1')).text).versions, ['1']);
  assert.equal(JSON.parse((await get('/v2/models/my%20model%2Fx')).text).name, 'my model/x');
  const unknown = await get('/v2/models/nope');
  assert.equal(unknown.status, 404);
  assert.equal(error(unknown.text), "Request for unknown model: 'nope' is not found");
  const badVersion = await get('/v2/models/simple/versions/3');
  assert.equal(badVersion.status, 404);
  assert.equal(error(badVersion.text), "Request for unknown model: 'simple' version 3 is not found");
  assert.equal((await post('/v2/models/simple')).status, 405);
});

test('model ready: 200; 400 "Model version not ready" when the backend says not ready or the model/version is unknown (Triton)', async () => {
  const ok = await get('/v2/models/simple/ready');
  assert.equal(ok.status, 200);
  assert.equal(ok.body.byteLength, 0);
  assert.equal((await get('/v2/models/simple/versions/1/ready')).status, 200);
  const notReady = await get('/v2/models/not_ready/ready');
  assert.equal(notReady.status, 400);
  assert.equal(notReady.text, '{"error":"Model version not ready"}');
  for (const path of ['/v2/models/nope/ready', '/v2/models/simple/versions/3/ready']) {
    const unknown = await get(path);
    assert.equal(unknown.status, 400, path);
    assert.equal(unknown.text, '{"error":"Model version not ready"}', path);
  }
});

test('model config', async () => {
  const r = await get('/v2/models/nobatch/config');
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.text), {
    name: 'nobatch', platform: '', backend: 'identity', max_batch_size: 0,
    input: [{ name: 'IN', data_type: 'TYPE_FP32', dims: [2, 3] }], output: [{ name: 'OUT', data_type: 'TYPE_FP32', dims: [2, 3] }],
  });
});

test('statistics: all models, one model, errors', async () => {
  const all = JSON.parse((await get('/v2/models/stats')).text);
  assert.deepEqual(all, JSON.parse(JSON.stringify(h.server.modelStatistics())));
  const one = JSON.parse((await get('/v2/models/nobatch/stats')).text);
  assert.equal(one.model_stats.length, 1);
  assert.equal(one.model_stats[0].name, 'nobatch');
  assert.equal(one.model_stats[0].version, '1');
  const two = JSON.parse((await get('/v2/models/two_versions/versions/2/stats')).text);
  assert.deepEqual(two.model_stats.map((s: { version: string }) => s.version), ['2']);
  const unknown = await get('/v2/models/nope/stats');
  assert.equal(unknown.status, 400);
  assert.equal(error(unknown.text), "requested model 'nope' is not available");
  const badVersion = await get('/v2/models/nobatch/versions/9/stats');
  assert.equal(badVersion.status, 400);
  assert.equal(error(badVersion.text), "requested model version is not available for model 'nobatch'");
});

test('repository index: empty body, {}, {"ready":true}, bad ready', async () => {
  for (const body of [undefined, '{}', '{"ready":true}']) {
    const r = await post('/v2/repository/index', body);
    assert.equal(r.status, 200);
    const rows = JSON.parse(r.text);
    assert.ok(Array.isArray(rows));
    assert.deepEqual(rows[0], { name: 'all_types', version: '1', state: 'READY' });
  }
  const bad = await post('/v2/repository/index', '{"ready":"yes"}');
  assert.equal(bad.status, 400);
  assert.equal(error(bad.text), "Invalid value for 'ready': expected a boolean");
  assert.equal((await get('/v2/repository/index')).status, 405);
  // A repository name is ignored for index.
  assert.equal((await post('/v2/repository/myrepo/index')).status, 200);
});

test('repository load/unload pass parameters; repository names are refused', async () => {
  const unload = await post('/v2/repository/models/nobatch/unload', '{"parameters":{"unload_dependents":true}}');
  assert.equal(unload.status, 200);
  assert.equal(unload.body.byteLength, 0);
  const rows = JSON.parse((await post('/v2/repository/index')).text);
  assert.deepEqual(rows.find((r: { name: string }) => r.name === 'nobatch'),
    { name: 'nobatch', version: '1', state: 'UNAVAILABLE', reason: 'unloaded' });
  assert.equal((await post('/v2/repository/index', '{"ready":true}')).text.includes('"nobatch"'), false);
  const load = await post('/v2/repository/models/nobatch/load', '{"parameters":{"config":"{}"}}');
  assert.equal(load.status, 200);
  assert.deepEqual(h.resolver.controlCalls.slice(-2), [
    { action: 'unload', name: 'nobatch', parameters: { unload_dependents: true } },
    { action: 'load', name: 'nobatch', parameters: { config: '{}' } },
  ]);
  const failed = await post('/v2/repository/models/missing/load');
  assert.equal(failed.status, 400);
  assert.equal(error(failed.text), "failed to load 'missing', failed to poll from model repository");
  const repo = await post('/v2/repository/other/models/nobatch/load');
  assert.equal(repo.status, 501);
  assert.equal(error(repo.text), "'repository_name' specification is not supported");
  const badBool = await post('/v2/repository/models/nobatch/unload', '{"parameters":{"unload_dependents":1}}');
  assert.equal(badBool.status, 500);
  assert.equal(error(badBool.text), "Unable to parse 'unload_dependents': attempt to access JSON non-boolean as boolean");
  assert.equal((await get('/v2/repository/models/nobatch/load')).status, 405);
});

test('shared memory with client shm disabled', async () => {
  const status = await get('/v2/systemsharedmemory/status');
  assert.equal(status.status, 200);
  assert.equal(status.text, '[]');
  const region = await get('/v2/systemsharedmemory/region/r1/status');
  assert.equal(region.status, 404);
  assert.equal(error(region.text), "Unable to find system shared memory region: 'r1'");
  const disabled = "Client shared memory is disabled. Start the server with '--allow-client-shm=true' to enable.";
  for (const p of ['/v2/systemsharedmemory/region/r1/register', '/v2/systemsharedmemory/unregister']) {
    const r = await post(p, '{"key":"/k","offset":0,"byte_size":64}');
    assert.equal(r.status, 501);
    assert.equal(error(r.text), disabled);
  }
  assert.equal((await post('/v2/systemsharedmemory/status')).status, 405);
  assert.equal((await get('/v2/cudasharedmemory/status')).text, '[]');
  for (const p of ['/v2/cudasharedmemory/region/c1/register', '/v2/cudasharedmemory/region/c1/unregister', '/v2/cudasharedmemory/unregister']) {
    const r = await post(p, '{"raw_handle":{"b64":"AA=="},"device_id":0,"byte_size":8}');
    assert.equal(r.status, 501);
    assert.equal(error(r.text), disabled);
  }
});

test('trace and logging settings: defaults on GET; without a tracer or logger attached, 503 on POST', async () => {
  const trace = await get('/v2/trace/setting');
  assert.equal(trace.status, 200);
  assert.equal(trace.text,
    '{"trace_level":["OFF"],"trace_rate":"1000","trace_count":"-1","log_frequency":"0","trace_file":"","trace_mode":"triton"}');
  assert.equal((await get('/v2/models/simple/trace/setting')).text, trace.text);
  const unknown = await get('/v2/models/nope/trace/setting');
  assert.equal(unknown.status, 400);
  assert.equal(error(unknown.text), 'Request for unknown model : nope');
  const postTrace = await post('/v2/trace/setting', '{"trace_level":["TIMESTAMPS"]}');
  assert.equal(postTrace.status, 503);
  assert.equal(postTrace.text, '{"error":"the server does not support tracing"}');
  const log = await get('/v2/logging');
  assert.equal(log.text,
    '{"log_file":"","log_info":true,"log_warning":true,"log_error":true,"log_verbose_level":0,"log_format":"default"}');
  const postLog = await post('/v2/logging', '{"log_info":false}');
  assert.equal(postLog.status, 503);
  assert.equal(postLog.text, '{"error":"the server does not support dynamic logging"}');
  assert.equal((await request(h.port, 'PUT', '/v2/logging')).status, 405);
});
