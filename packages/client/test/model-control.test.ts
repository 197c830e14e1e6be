/**
 * loadModel / unloadModel against a server in explicit model control mode: a successful load (with
 * and without a `config` override), readiness following it, and unload, over HTTP and gRPC.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GrpcFrontend, HttpFrontend, createInferenceServer } from 'inferd';
import { GrpcClient, HttpClient, InferInput, type InferenceClient } from '../src/index.js';

const CONFIG = [
  'backend: "identity"', 'max_batch_size: 0',
  'input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 2 ] } ]',
  'output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 2 ] } ]',
].join('\n');

test('explicit mode: loadModel, config override and unloadModel over HTTP and gRPC', async () => {
  const root = mkdtempSync(join(tmpdir(), 'inferd-client-mc-'));
  mkdirSync(join(root, 'ident', '1'), { recursive: true });
  writeFileSync(join(root, 'ident', 'config.pbtxt'), CONFIG);
  const { server } = await createInferenceServer({ modelRepository: root, modelControlMode: 'explicit' });
  const http = new HttpFrontend(server, { port: 0, address: '127.0.0.1', maxInputSize: 1 << 20 });
  const grpc = new GrpcFrontend(server, { port: 0, address: '127.0.0.1' });
  const clients: InferenceClient[] = [
    new HttpClient(`127.0.0.1:${(await http.listen()).port}`),
    new GrpcClient(`127.0.0.1:${(await grpc.listen()).port}`),
  ];
  try {
    // Never loaded: the index lists a bare name.
    assert.deepEqual(await clients[0]!.getModelRepositoryIndex(), [{ name: 'ident' }]);
    for (const client of clients) {
      assert.equal(await client.isModelReady('ident'), false);
      await client.loadModel('ident');
      assert.equal(await client.isModelReady('ident'), true);
      const r = await client.infer('ident', [new InferInput('INPUT0', [2], 'FP32').setData([1.5, -2])]);
      assert.deepEqual([...(r.asTypedArray('OUTPUT0') as Float32Array)], [1.5, -2]);
      // A config override (a different output name) reloads the model with it.
      await client.loadModel('ident', {
        config: {
          backend: 'identity', max_batch_size: 0,
          input: [{ name: 'INPUT0', data_type: 'TYPE_FP32', dims: [2] }],
          output: [{ name: 'RENAMED', data_type: 'TYPE_FP32', dims: [2] }],
        },
      });
      const meta = await client.getModelMetadata('ident');
      assert.deepEqual(meta.outputs.map((o) => o.name), ['RENAMED']);
      await client.unloadModel('ident');
      assert.equal(await client.isModelReady('ident'), false);
    }
  } finally {
    for (const c of clients) c.close();
    await Promise.all([http.close(), grpc.close()]);
    await server.shutdown(1000);
    rmSync(root, { recursive: true, force: true });
  }
});
