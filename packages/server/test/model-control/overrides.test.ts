/**
 * Load overrides: `config` (validated like a config file) and `file:<version>/<path>` (a new ONNX
 * model from our GraphBuilder) into a temporary directory that goes when the model unloads or
 * reloads; path traversal attempts are refused and nothing is written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceServerError, InferInput, type GrpcClient, type HttpClient } from '@inferd/client';
import { GraphBuilder } from '../../../../scripts/onnx-builder.js';
import {
  indexLines, overrideDirs, SCALE_CONFIG_JSON, scaleModel, startLive, tagOf, taggedConfig, taggedConfigJson, waitFor,
} from './support.js';

const SCALE_PBTXT = [
  'platform: "onnxruntime_onnx"', 'max_batch_size: 4',
  'input [ { name: "X" data_type: TYPE_FP32 dims: [ 4 ] } ]',
  'output [ { name: "Y" data_type: TYPE_FP32 dims: [ 4 ] } ]',
].join('\n');

async function scaled(client: HttpClient | GrpcClient): Promise<number[]> {
  const r = await client.infer('scale', [new InferInput('X', [1, 4], 'FP32').setData([1, 2, 3, 4])]);
  return [...(r.asTypedArray('Y') as Float32Array)];
}

const newDirs = (before: readonly string[]): string[] => overrideDirs().filter((d) => !before.includes(d));

test('config override replaces the config on disk (HTTP and gRPC)', async () => {
  const live = await startLive({ 'm/config.pbtxt': taggedConfig(1), 'm/1/': null }, { modelControlMode: 'explicit' });
  try {
    await live.http.loadModel('m', { config: taggedConfigJson(5) });
    assert.equal(await tagOf(live.http, 'm'), 5);
    await live.grpc.loadModel('m', { config: JSON.stringify(taggedConfigJson(6)) });
    assert.equal(await tagOf(live.grpc, 'm'), 6);
    const config = await live.http.getModelConfig('m');
    assert.deepEqual(config.parameters, { tag: { string_value: '6' } });
  } finally {
    await live.close();
  }
});

test('config overrides are validated like a config file: bad JSON, unknown fields, invalid configs', async () => {
  const live = await startLive({ 'm/config.pbtxt': taggedConfig(1), 'm/1/': null }, { modelControlMode: 'explicit', loadModels: ['m'] });
  try {
    const bad = async (config: string, pattern: RegExp): Promise<void> => {
      for (const client of [live.http, live.grpc]) {
        await assert.rejects(client.loadModel('m', { config }), (e: unknown) =>
          e instanceof InferenceServerError && (e.status === 400 || e.code === 3) && pattern.test(e.message), `${config} -> ${pattern}`);
      }
    };
    await bad('{not json', /'config' parameter is not valid JSON/);
    await bad(JSON.stringify({ ...taggedConfigJson(2), bogus_field: 1 }), /bogus_field/);
    await bad(JSON.stringify({ ...taggedConfigJson(2), max_batch_size: -1 }), /max_batch_size/);
    // The model loaded from disk keeps serving after refused overrides.
    assert.equal(await tagOf(live.http, 'm'), 1);
  } finally {
    await live.close();
  }
});

test('file override: a new model.onnx (HTTP base64, gRPC bytes) serves from a temp dir removed on reload and unload', async () => {
  const before = overrideDirs();
  const live = await startLive({ 'scale/config.pbtxt': SCALE_PBTXT, 'scale/1/model.onnx': scaleModel(2) }, { modelControlMode: 'explicit', loadModels: ['scale'] });
  try {
    assert.deepEqual(await scaled(live.http), [2, 4, 6, 8]);
    await live.http.loadModel('scale', { config: SCALE_CONFIG_JSON, files: { '1/model.onnx': scaleModel(3) } });
    assert.deepEqual(await scaled(live.http), [3, 6, 9, 12]);
    assert.equal(newDirs(before).length, 1, 'one temporary override directory');
    await live.grpc.loadModel('scale', { config: SCALE_CONFIG_JSON, files: { '1/model.onnx': scaleModel(5) } });
    assert.deepEqual(await scaled(live.grpc), [5, 10, 15, 20]);
    await waitFor(() => newDirs(before).length === 1); // the previous override dir went with its version
    // Back to the files on disk: the override directory goes.
    await live.http.loadModel('scale');
    assert.deepEqual(await scaled(live.http), [2, 4, 6, 8]);
    await waitFor(() => newDirs(before).length === 0);
    await live.http.loadModel('scale', { config: SCALE_CONFIG_JSON, files: { '2/model.onnx': scaleModel(7) } });
    assert.deepEqual(await scaled(live.http), [7, 14, 21, 28]);
    // The override directory is the whole model: only version 2; version 1 is listed as unloaded.
    await waitFor(() => indexLines(live.server).join() === 'scale:1=UNAVAILABLE (unloaded),scale:2=READY');
    await live.http.unloadModel('scale');
    await waitFor(() => newDirs(before).length === 0);
  } finally {
    await live.close();
  }
  assert.deepEqual(newDirs(before), []);
});

test('file override without config is refused with Triton\'s message', async () => {
  const live = await startLive({ 'scale/config.pbtxt': SCALE_PBTXT, 'scale/1/model.onnx': scaleModel(2) }, { modelControlMode: 'explicit' });
  try {
    for (const client of [live.http, live.grpc]) {
      await assert.rejects(client.loadModel('scale', { files: { '1/model.onnx': scaleModel(3) } }), (e: unknown) =>
        e instanceof InferenceServerError && e.message.includes("Load parameter 'config' must be specified for model file override"));
    }
  } finally {
    await live.close();
  }
});

test('path traversal in file overrides is refused with INVALID_ARG and nothing is written', async () => {
  const before = overrideDirs();
  const live = await startLive({ 'scale/config.pbtxt': SCALE_PBTXT, 'scale/1/model.onnx': scaleModel(2) }, { modelControlMode: 'explicit', loadModels: ['scale'] });
  const marker = `inferd-evil-${process.pid}`;
  const attempts = [
    `../${marker}`, `../../${marker}`, `1/../../${marker}`, `1/../../../${marker}`, `/tmp/${marker}`, `${join(tmpdir(), marker)}`,
    `..\\${marker}`, `1\\..\\..\\${marker}`, `./../${marker}`, '', '.', '1/./..',
  ];
  const payload = new GraphBuilder('evil').input('X', 'FLOAT', [1]).node('Identity', ['X'], ['Y']).output('Y', 'FLOAT', [1]).toBytes();
  try {
    for (const client of [live.http, live.grpc]) {
      for (const path of attempts) {
        await assert.rejects(
          client.loadModel('scale', { config: SCALE_CONFIG_JSON, files: { '1/model.onnx': scaleModel(9), [path]: payload } }),
          (e: unknown) => e instanceof InferenceServerError && (e.status === 400 || e.code === 3)
            && e.message.includes('invalid model file override'),
          `path '${path}' must be refused`,
        );
      }
    }
    assert.deepEqual(newDirs(before), [], 'no temporary directory was created');
    for (const dir of [tmpdir(), live.root, live.repo, join(live.repo, 'scale')]) {
      assert.ok(!readdirSync(dir).some((e) => e.includes(marker)), `nothing written in ${dir}`);
    }
    assert.ok(!existsSync(`/tmp/${marker}`));
    // The model from disk still serves.
    assert.deepEqual(await scaled(live.http), [2, 4, 6, 8]);
  } finally {
    await live.close();
  }
});
