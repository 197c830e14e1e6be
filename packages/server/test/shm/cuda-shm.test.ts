/**
 * CUDA shared memory on a machine without a GPU (spec §1.8): register over HTTP and gRPC through real
 * sockets really spawns the CUDA memory agent, which reports that libcuda.so.1 cannot be loaded; body
 * errors, status and unregister keep Triton's texts; nothing is left registered or running.
 * (The data path needs a GPU: bench/gpu/cuda_shm_check.py.)
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { request } from '../support/http-harness.js';
import { startShmWorld, type ShmWorld } from './shm-support.js';

let world: ShmWorld;
before(async () => {
  world = await startShmWorld();
});
after(async () => world?.close());

const HANDLE = Buffer.alloc(64, 7).toString('base64');
const post = (path: string, body: unknown, port = world.enabled.httpPort) =>
  request(port, 'POST', path, { body: typeof body === 'string' ? body : JSON.stringify(body) });
const register = (name: string, body: unknown, port?: number) => post(`/v2/cudasharedmemory/region/${name}/register`, body, port);
const error = (r: { status: number; text: string }): [number, string] => [r.status, (JSON.parse(r.text) as { error: string }).error];

function agents(): string[] {
  return execFileSync('ps', ['-eo', 'ppid=,args='], { encoding: 'utf8' }).split('\n')
    .filter((l) => l.trim().startsWith(`${process.pid} `) && l.includes('inferd_cuda_agent.py'));
}

describe('CUDA shared memory without a GPU', () => {
  it('a well-formed register spawns the agent, which reports libcuda missing; no region is left', async () => {
    const r = error(await register('c0', { raw_handle: { b64: HANDLE }, device_id: 0, byte_size: 64 }));
    assert.equal(r[0], 400);
    assert.match(r[1], /^failed to register CUDA shared memory region: 'c0', GPUs not supported \(libcuda\.so\.1 could not be loaded: /);
    assert.equal((await request(world.enabled.httpPort, 'GET', '/v2/cudasharedmemory/status')).text, '[]');
    // Again over gRPC: a new agent each time (the last one exited), the same answer.
    await assert.rejects(world.enabled.grpc.call('CudaSharedMemoryRegister', { name: 'c0', raw_handle: Buffer.alloc(64, 7), device_id: 0, byte_size: 64 }), (err: { code: number; details: string }) => {
      assert.equal(err.code, status.INVALID_ARGUMENT);
      assert.match(err.details, /GPUs not supported \(libcuda\.so\.1 could not be loaded/);
      return true;
    });
    assert.deepEqual(await world.enabled.grpc.call('CudaSharedMemoryStatus', {}), { regions: {} });
    assert.equal((await request(world.enabled.httpPort, 'GET', '/v2/health/ready')).status, 200);
    assert.deepEqual(agents(), [], 'the agent exits when it cannot load libcuda');
  });

  it('bad HTTP bodies get Triton\'s texts', async () => {
    const bad = "'raw_handle' must be a valid base64 encoded cudaIpcMemHandle_t";
    assert.deepEqual(error(await register('c1', { device_id: 0, byte_size: 8 })), [400, "Shared memory register request has no 'raw_handle' field"]);
    assert.deepEqual(error(await register('c1', { raw_handle: {}, device_id: 0, byte_size: 8 })), [500, "attempt to access non-existing object member 'b64'"]);
    assert.deepEqual(error(await register('c1', { raw_handle: { b64: 'AA==' }, device_id: 0, byte_size: 8 })), [400, bad]);
    assert.deepEqual(error(await register('c1', { raw_handle: { b64: `${HANDLE.slice(1)}!` }, device_id: 0, byte_size: 8 })), [400, bad]);
    assert.deepEqual(error(await register('c1', { raw_handle: { b64: HANDLE }, device_id: 0 })), [500, "attempt to access non-existing object member 'byte_size'"]);
    for (const byte_size of [-1, 1.5, '8']) {
      assert.deepEqual(error(await register('c1', { raw_handle: { b64: HANDLE }, device_id: 0, byte_size })),
        [500, 'attempt to access JSON non-unsigned-integer as unsigned-integer']);
    }
    assert.deepEqual(error(await register('c1', { raw_handle: { b64: HANDLE }, device_id: -1, byte_size: 8 })),
      [500, 'attempt to access JSON non-unsigned-integer as unsigned-integer']);
    assert.deepEqual(error(await register('c1', { raw_handle: { b64: HANDLE }, device_id: 0, byte_size: 0 })),
      [400, "failed to register shared memory region 'c1': invalid args"]);
    assert.deepEqual(error(await post('/v2/cudasharedmemory/register', { raw_handle: { b64: HANDLE }, device_id: 0, byte_size: 8 })),
      [400, "'region name' is necessary to register cuda shared memory region"]);
  });

  it('bad gRPC registers, status and unregister of unknown regions', async () => {
    const g = world.enabled.grpc;
    await assert.rejects(g.call('CudaSharedMemoryRegister', { name: 'g1', raw_handle: Buffer.from('h'), device_id: 0, byte_size: 8 }), {
      code: status.INVALID_ARGUMENT, details: "'raw_handle' must be a valid base64 encoded cudaIpcMemHandle_t",
    });
    await assert.rejects(g.call('CudaSharedMemoryRegister', { name: 'g1', raw_handle: Buffer.alloc(64), device_id: -1, byte_size: 8 }), {
      code: status.INVALID_ARGUMENT, details: "failed to register shared memory region 'g1': invalid args",
    });
    await assert.rejects(g.call('CudaSharedMemoryStatus', { name: 'nope' }), {
      code: status.NOT_FOUND, details: "Unable to find cuda shared memory region: 'nope'",
    });
    const http = await request(world.enabled.httpPort, 'GET', '/v2/cudasharedmemory/region/nope/status');
    assert.deepEqual(error(http), [404, "Unable to find cuda shared memory region: 'nope'"]);
    assert.deepEqual(await g.call('CudaSharedMemoryUnregister', { name: 'nope' }), {});
    assert.equal((await post('/v2/cudasharedmemory/region/nope/unregister', {})).status, 200);
    assert.equal((await post('/v2/cudasharedmemory/unregister', {})).status, 200);
  });

  it('a system region\'s name is taken for CUDA, and its CUDA status says which kind it is', async () => {
    const key = world.object('cuda-names', 64);
    assert.equal((await post('/v2/systemsharedmemory/region/both/register', { key, byte_size: 64 })).status, 200);
    assert.deepEqual(error(await register('both', { raw_handle: { b64: HANDLE }, device_id: 0, byte_size: 64 })),
      [400, "shared memory region 'both' already in manager"]);
    assert.deepEqual(error(await request(world.enabled.httpPort, 'GET', '/v2/cudasharedmemory/region/both/status')),
      [404, "The region named 'both' is registered as system shared memory, not CUDA shared memory"]);
    assert.equal((await post('/v2/cudasharedmemory/region/both/unregister', {})).status, 200, 'a CUDA unregister leaves the system region');
    assert.equal((await request(world.enabled.httpPort, 'GET', '/v2/systemsharedmemory/region/both/status')).status, 200);
    assert.equal((await post('/v2/systemsharedmemory/region/both/unregister', {})).status, 200);
  });

  it('with client shm disabled, CUDA register and unregister are refused as system ones are', async () => {
    const disabled = "Client shared memory is disabled. Start the server with '--allow-client-shm=true' to enable.";
    const port = world.disabled.httpPort;
    assert.deepEqual(error(await register('d', { raw_handle: { b64: HANDLE }, device_id: 0, byte_size: 8 }, port)), [501, disabled]);
    assert.deepEqual(error(await post('/v2/cudasharedmemory/unregister', {}, port)), [501, disabled]);
    await assert.rejects(world.disabled.grpc.call('CudaSharedMemoryRegister', { name: 'd', raw_handle: Buffer.alloc(64), device_id: 0, byte_size: 8 }), {
      code: status.UNIMPLEMENTED, details: disabled,
    });
  });
});
