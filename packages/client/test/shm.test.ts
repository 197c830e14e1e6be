/** System shared memory over both protocols: a /dev/shm region written by the helper, registered, used for inputs and outputs. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { GrpcClient, HttpClient, InferInput, InferRequestedOutput, InferenceServerError, type InferenceClient } from '../src/index.js';
import { SystemSharedMemoryRegion } from '../src/shm.js';
import { startLiveServer, type LiveServer } from './support/live-server.js';

let live: LiveServer;
const clients: Record<string, InferenceClient> = {};

before(async () => {
  live = await startLiveServer();
  clients.http = new HttpClient(live.httpUrl);
  clients.grpc = new GrpcClient(live.grpcUrl);
});
after(async () => {
  for (const c of Object.values(clients)) c.close();
  await live.close();
});

for (const protocol of ['http', 'grpc'] as const) {
  test(`${protocol}: simple with inputs and outputs in shared memory`, async () => {
    const client = clients[protocol]!;
    const key = `/inferd_client_test_${protocol}_${process.pid}`;
    const inRegion = SystemSharedMemoryRegion.create(`${key}_in`, 128);
    const outRegion = SystemSharedMemoryRegion.create(`${key}_out`, 128);
    try {
      const offsets = inRegion.writeTensors([
        { datatype: 'INT32', data: Int32Array.from({ length: 16 }, (_, i) => i) },
        { datatype: 'INT32', data: new Array(16).fill(2) },
      ]);
      assert.deepEqual(offsets, [0, 64]);
      await client.registerSystemSharedMemory('in', inRegion.key, 128);
      await client.registerSystemSharedMemory('out', outRegion.key, 128);
      const status = await client.getSystemSharedMemoryStatus();
      assert.deepEqual(status.map((s) => [s.name, s.key, s.offset, s.byte_size]).sort(), [['in', inRegion.key, 0, 128], ['out', outRegion.key, 0, 128]]);
      assert.deepEqual((await client.getSystemSharedMemoryStatus('in')).map((s) => s.name), ['in']);

      const inputs = [
        new InferInput('INPUT0', [1, 16], 'INT32').setSharedMemory('in', 64, 0),
        new InferInput('INPUT1', [1, 16], 'INT32').setSharedMemory('in', 64, 64),
      ];
      const outputs = [
        new InferRequestedOutput('OUTPUT0').setSharedMemory('out', 64, 0),
        new InferRequestedOutput('OUTPUT1').setSharedMemory('out', 64, 64),
      ];
      const r = await client.infer('simple', inputs, { outputs });
      assert.deepEqual(r.output('OUTPUT0')?.shape, [1, 16]);
      assert.throws(() => r.asTypedArray('OUTPUT0'), /shared memory/);
      assert.deepEqual([...outRegion.readTensor('INT32', 16, 0)], Array.from({ length: 16 }, (_, i) => i + 2));
      assert.deepEqual([...outRegion.readTensor('INT32', 16, 64)], Array.from({ length: 16 }, (_, i) => i - 2));

      // A region that is not registered: the server's error.
      await assert.rejects(client.getSystemSharedMemoryStatus('nope'), InferenceServerError);
      await client.unregisterSystemSharedMemory('in');
      assert.deepEqual((await client.getSystemSharedMemoryStatus()).map((s) => s.name), ['out']);
      await client.unregisterSystemSharedMemory();
      assert.deepEqual(await client.getSystemSharedMemoryStatus(), []);
    } finally {
      inRegion.destroy();
      outRegion.destroy();
    }
    assert.equal(existsSync(inRegion.path), false);
  });
}

test('region helper: strings, bounds, reopen', () => {
  const region = SystemSharedMemoryRegion.create(`inferd_client_helper_${process.pid}`, 64);
  try {
    const size = region.writeTensor('BYTES', ['ab', 'cde'], 8);
    assert.equal(size, 4 + 2 + 4 + 3);
    const again = SystemSharedMemoryRegion.open(region.key);
    assert.equal(again.byteSize, 64);
    assert.deepEqual(again.readStrings(size, 8), ['ab', 'cde']);
    again.close();
    assert.throws(() => region.write(new Uint8Array(8), 60), /do not fit/);
    assert.throws(() => SystemSharedMemoryRegion.create('a/b', 8), /invalid shared memory key/);
  } finally {
    region.destroy();
  }
});
