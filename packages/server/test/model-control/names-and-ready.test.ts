/**
 * Explicit model control over raw HTTP and raw gRPC (not @inferd/client, which hides error codes):
 * readiness of unknown and unloaded models is "not ready", not an error (Triton's ModelIsReady), and
 * load requests with an empty, blank or path-traversal name get Triton's messages.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { connect } from '../support/grpc-client.js';
import { startLive, taggedConfig, waitFor, indexLines } from './support.js';

test('ModelReady / GET ready: unknown and unloaded models are not ready (gRPC OK ready=false, HTTP 400)', async () => {
  const live = await startLive({ 'm/config.pbtxt': taggedConfig(1), 'm/1/': null }, { modelControlMode: 'explicit' });
  const raw = connect(live.grpcPort);
  const httpReady = async (model: string) => {
    const res = await fetch(`http://127.0.0.1:${live.httpPort}/v2/models/${model}/ready`);
    return { status: res.status, text: await res.text() };
  };
  try {
    const notReady = { status: 400, text: '{"error":"Model version not ready"}' };
    // Never loaded (on disk, explicit mode) and not on disk at all.
    for (const name of ['m', 'nope']) {
      assert.deepEqual(await raw.call('ModelReady', { name }), { ready: false }, name);
      assert.deepEqual(await httpReady(name), notReady, name);
    }
    await live.http.loadModel('m');
    assert.deepEqual(await raw.call('ModelReady', { name: 'm' }), { ready: true });
    assert.deepEqual(await raw.call('ModelReady', { name: 'm', version: '1' }), { ready: true });
    assert.equal((await httpReady('m')).status, 200);
    await live.grpc.unloadModel('m');
    await waitFor(() => indexLines(live.server)[0] === 'm:1=UNAVAILABLE (unloaded)');
    assert.deepEqual(await raw.call('ModelReady', { name: 'm' }), { ready: false });
    assert.deepEqual(await raw.call('ModelReady', { name: 'm', version: '1' }), { ready: false });
    assert.deepEqual(await httpReady('m'), notReady);
    // A malformed version is still an error, as Triton's GetModelVersionFromString.
    await assert.rejects(raw.call('ModelReady', { name: 'm', version: 'one' }), { code: status.INVALID_ARGUMENT });
  } finally {
    raw.close();
    await live.close();
  }
});

test('load with an empty, blank or path-traversal model name: Triton\'s messages over gRPC and HTTP; nothing is written', async () => {
  const live = await startLive({ 'm/config.pbtxt': taggedConfig(1), 'm/1/': null }, { modelControlMode: 'explicit' });
  const raw = connect(live.grpcPort);
  const httpLoad = async (encodedName: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${live.httpPort}/v2/repository/models/${encodedName}/load`, {
      method: 'POST', ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    return { status: res.status, text: await res.text() };
  };
  const traversal = (name: string) => `invalid model name '${name}', model name must not contain path traversal characters`;
  try {
    await assert.rejects(raw.call('RepositoryModelLoad', { model_name: '' }), {
      code: status.INVALID_ARGUMENT, details: 'model name must not be empty',
    });
    await assert.rejects(raw.call('RepositoryModelLoad', { model_name: ' \t' }), {
      code: status.INVALID_ARGUMENT, details: 'model name must not contain only whitespace characters',
    });
    // '../m' would name the model directory from outside; with file overrides, where they are written.
    const overrides = {
      config: { string_param: JSON.stringify({ backend: 'mc_tagged' }) },
      'file:1/x': { bytes_param: Buffer.from('x') },
    };
    for (const name of ['../m', 'a/b', 'x..y', '..']) {
      await assert.rejects(raw.call('RepositoryModelLoad', { model_name: name }), { code: status.INVALID_ARGUMENT, details: traversal(name) }, name);
      await assert.rejects(raw.call('RepositoryModelLoad', { model_name: name, parameters: overrides }), { code: status.INVALID_ARGUMENT, details: traversal(name) }, name);
      if (name === '..') continue; // a bare '..' path segment is resolved by the URL itself
      assert.deepEqual(await httpLoad(encodeURIComponent(name)), { status: 400, text: JSON.stringify({ error: traversal(name) }) }, name);
      assert.deepEqual(
        await httpLoad(encodeURIComponent(name), { parameters: { config: JSON.stringify({ backend: 'mc_tagged' }), 'file:1/x': Buffer.from('x').toString('base64') } }),
        { status: 400, text: JSON.stringify({ error: traversal(name) }) }, name);
    }
    assert.deepEqual(await httpLoad('%20'), { status: 400, text: JSON.stringify({ error: 'model name must not contain only whitespace characters' }) });
    assert.equal(existsSync(join(live.root, 'x')), false);
    // The check is for loads only; the polling-mode refusal comes first (Triton's order), and a
    // good name still loads.
    await live.grpc.loadModel('m');
    assert.deepEqual(indexLines(live.server), ['m:1=READY']);
  } finally {
    raw.close();
    await live.close();
  }
});
