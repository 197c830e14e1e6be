/**
 * Large tensors through the ONNX identity on the worker pool, over HTTP binary and system shared memory:
 * the request's own buffers (assembled body, large shm reads) are moved to the pool thread, not copied.
 * Every value comes back, concurrent requests never see each other's data, and buffers that are not
 * the request's own (Node's shared pool, socket chunks) are never detached.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInferenceServer } from '../../src/create-server.js';
import type { InferenceServer } from '../../src/core/index.js';
import { HttpFrontend } from '../../src/frontends/http/index.js';
import { ShmTensors, OWNED_MIN_BYTES } from '../../src/frontends/common/shm-tensors.js';
import { request, splitResponse } from '../support/http-harness.js';
import { makeRepo } from '../support/temp-repo.js';
import { assertSameFloats, floatPattern } from './helpers.js';

const MODEL_FILE = fileURLToPath(new URL('../../../../examples/models/identity_fp32/1/model.onnx', import.meta.url));
const CONFIG = [
  'name: "big"', 'platform: "onnxruntime_onnx"', 'max_batch_size: 8',
  'input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ -1 ] } ]',
  'output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ -1 ] } ]',
  // The pool path is the one that moves buffers between threads.
  'parameters { key: "inferd.execution" value: { string_value: "pool" } }',
].join('\n');

const BYTES = 8 << 20;
const COUNT = BYTES / 4;

const pattern = (seed: number, count = COUNT): Float32Array => floatPattern(seed, count);

let server: InferenceServer;
let http: HttpFrontend;
let port: number;
let repo: { dir: string; cleanup(): void };

before(async () => {
  repo = makeRepo({ 'big/config.pbtxt': CONFIG, 'big/1/model.onnx': readFileSync(MODEL_FILE) });
  ({ server } = await createInferenceServer({ modelRepository: repo.dir, allowClientShm: true }));
  http = new HttpFrontend(server, { port: 0, address: '127.0.0.1', maxInputSize: 64 << 20 });
  ({ port } = await http.listen());
});
after(async () => {
  await http.close();
  await server.shutdown(1000);
  repo.cleanup();
});

function binaryInfer(data: Float32Array) {
  const header = Buffer.from(JSON.stringify({
    inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, data.length], parameters: { binary_data_size: data.byteLength } }],
    outputs: [{ name: 'OUTPUT0', parameters: { binary_data: true } }],
  }));
  // An odd header length: the server must still hand the model aligned floats.
  const body = Buffer.concat([header, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
  return request(port, 'POST', '/v2/models/big/infer', {
    body, headers: { 'Inference-Header-Content-Length': String(header.byteLength), 'Content-Type': 'application/octet-stream' },
  });
}

describe('large tensors through the ONNX identity', () => {
  it('8 MB over HTTP binary: every value back, four at once each with its own', async () => {
    const seeds = [1, 2, 3, 4];
    const replies = await Promise.all(seeds.map((s) => binaryInfer(pattern(s))));
    replies.forEach((r, i) => {
      assert.equal(r.status, 200, r.text.slice(0, 200));
      const { json, binary } = splitResponse(r);
      assert.deepEqual(json.outputs[0].shape, [1, COUNT]);
      assertSameFloats(binary, pattern(seeds[i]!), `request ${seeds[i]}`);
    });
  });

  it('8 MB over system shared memory: every value back, four at once each with its own region, twice', async () => {
    const seeds = [5, 6, 7, 8];
    const keys = seeds.map((s) => `/inferd-bigt-${process.pid}-${s}`);
    try {
      for (let i = 0; i < seeds.length; i++) {
        writeFileSync(`/dev/shm${keys[i]}`, Buffer.concat([Buffer.from(pattern(seeds[i]!).buffer), Buffer.alloc(BYTES)]));
        const reg = await request(port, 'POST', `/v2/systemsharedmemory/region/r${i}/register`, {
          body: JSON.stringify({ key: keys[i], offset: 0, byte_size: 2 * BYTES }),
        });
        assert.equal(reg.status, 200, reg.text);
      }
      // Two rounds: the second reads into spare buffers that held the first round's (other) data.
      for (let round = 0; round < 2; round++) {
        if (round === 1) {
          seeds.reverse();
          for (let i = 0; i < seeds.length; i++) {
            writeFileSync(`/dev/shm${keys[i]}`, Buffer.concat([Buffer.from(pattern(seeds[i]!).buffer), Buffer.alloc(BYTES)]));
          }
        }
        const replies = await Promise.all(seeds.map((_, i) => request(port, 'POST', '/v2/models/big/infer', {
          body: JSON.stringify({
            inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, COUNT], parameters: { shared_memory_region: `r${i}`, shared_memory_byte_size: BYTES } }],
            outputs: [{ name: 'OUTPUT0', parameters: { shared_memory_region: `r${i}`, shared_memory_offset: BYTES, shared_memory_byte_size: BYTES } }],
          }),
        })));
        for (let i = 0; i < seeds.length; i++) {
          assert.equal(replies[i]!.status, 200, replies[i]!.text);
          const region = readFileSync(`/dev/shm${keys[i]}`);
          assertSameFloats(region.subarray(BYTES), pattern(seeds[i]!), `region ${i}`);
          assertSameFloats(region.subarray(0, BYTES), pattern(seeds[i]!), `region ${i} input left as it was`);
        }
      }
    } finally {
      for (let i = 0; i < seeds.length; i++) {
        await request(port, 'POST', `/v2/systemsharedmemory/region/r${i}/unregister`, { body: '{}' });
        rmSync(`/dev/shm${keys[i]}`, { force: true });
      }
    }
  });

  it('small tensors from Node\'s shared pool are never detached: the pool\'s other Buffers stay intact', async () => {
    // Small Buffers made now share one pool slab with whatever the server allocates for small inputs.
    const neighbours = Array.from({ length: 32 }, (_, i) => Buffer.from(`neighbour-${i}-`.padEnd(40, 'x')));
    const slabs = new Set(neighbours.map((b) => b.buffer));
    const key = `/inferd-bigt-${process.pid}-small`;
    writeFileSync(`/dev/shm${key}`, Buffer.from(pattern(9, 64).buffer));
    try {
      assert.equal((await request(port, 'POST', '/v2/systemsharedmemory/region/small/register', {
        body: JSON.stringify({ key, offset: 0, byte_size: 256 }),
      })).status, 200);
      for (let round = 0; round < 4; round++) {
        const viaBinary = await binaryInfer(pattern(10 + round, 64));
        assert.equal(viaBinary.status, 200, viaBinary.text);
        assertSameFloats(splitResponse(viaBinary).binary, pattern(10 + round, 64), 'small binary');
        const viaShm = await request(port, 'POST', '/v2/models/big/infer', {
          body: JSON.stringify({
            inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 64], parameters: { shared_memory_region: 'small', shared_memory_byte_size: 256 } }],
            outputs: [{ name: 'OUTPUT0', parameters: { binary_data: true } }],
          }),
        });
        assert.equal(viaShm.status, 200, viaShm.text);
        assertSameFloats(splitResponse(viaShm).binary, pattern(9, 64), 'small shm');
      }
      for (const slab of slabs) assert.ok(slab.byteLength > 0, 'a pool slab was detached');
      neighbours.forEach((b, i) => assert.equal(b.toString(), `neighbour-${i}-`.padEnd(40, 'x')));
    } finally {
      await request(port, 'POST', '/v2/systemsharedmemory/region/small/unregister', { body: '{}' });
      rmSync(`/dev/shm${key}`, { force: true });
    }
  });
});

describe('which shm input buffers a request owns', () => {
  it('a large read gets an ArrayBuffer of its own and is listed; a small one stays pooled and is not', () => {
    const key = `/inferd-bigt-${process.pid}-own`;
    const size = OWNED_MIN_BYTES * 2;
    writeFileSync(`/dev/shm${key}`, Buffer.alloc(size, 7));
    try {
      server.sharedMemory.register('own', key, 0, size);
      const shm = new ShmTensors(server.shmRegistries);
      const small = shm.readInput({ region: 'own', offset: 0, byteSize: 16 });
      const large = shm.readInput({ region: 'own', offset: 0, byteSize: OWNED_MIN_BYTES });
      assert.deepEqual(shm.ownedBuffers, [large.buffer]);
      assert.equal(large.byteOffset, 0);
      assert.equal(large.buffer.byteLength, OWNED_MIN_BYTES, 'the ArrayBuffer is exactly the tensor');
      assert.ok(!shm.ownedBuffers.includes(small.buffer as ArrayBuffer));
      assert.ok(large.every((v) => v === 7) && small.every((v) => v === 7));
      shm.release();
    } finally {
      server.sharedMemory.unregister('own');
      rmSync(`/dev/shm${key}`, { force: true });
    }
  });
});
