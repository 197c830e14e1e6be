/**
 * System shared memory over HTTP (spec §1.8): /dev/shm objects registered through
 * /v2/systemsharedmemory, infer inputs read from and outputs written into them, Triton's errors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { executing } from '../support/executing.js';
import { request } from '../support/http-harness.js';
import { int32, RANGE, readInt32, startShmWorld, type ShmWorld } from './shm-support.js';

const DISABLED = "Client shared memory is disabled. Start the server with '--allow-client-shm=true' to enable.";

let world: ShmWorld;
let port: number;

before(async () => {
  world = await startShmWorld();
  port = world.enabled.httpPort;
});
after(async () => world.close());

const post = (path: string, body: unknown, p = port) => request(p, 'POST', path, { body: JSON.stringify(body) });
const get = (path: string, p = port) => request(p, 'GET', path);
const register = (name: string, body: unknown, p = port) => post(`/v2/systemsharedmemory/region/${name}/register`, body, p);
const unregister = (name: string) => post(`/v2/systemsharedmemory/region/${name}/unregister`, {});

function shmInput(name: string, region: string, offset: number, size = 64) {
  return { name, datatype: 'INT32', shape: [1, 16], parameters: { shared_memory_region: region, shared_memory_offset: offset, shared_memory_byte_size: size } };
}
function shmOutput(name: string, region: string, offset: number, size = 64) {
  return { name, parameters: { shared_memory_region: region, shared_memory_offset: offset, shared_memory_byte_size: size } };
}
function error(res: { status: number; text: string }): [number, string] {
  return [res.status, (JSON.parse(res.text) as { error: string }).error];
}

describe('HTTP system shared memory', () => {
  it('registers, lists and infers with inputs and outputs in shm', async () => {
    const inKey = world.object('h-in', 128);
    const outKey = world.object('h-out', 256);
    world.write(inKey, 0, Buffer.concat([int32(RANGE(0)), int32(RANGE(100))]));
    assert.equal((await register('h_in', { key: inKey, offset: 0, byte_size: 128 })).status, 200);
    assert.equal((await register('h_out', { key: outKey, offset: 64, byte_size: 192 })).status, 200);
    const all = JSON.parse((await get('/v2/systemsharedmemory/status')).text) as unknown[];
    assert.deepEqual(all, [
      { name: 'h_in', key: inKey, offset: 0, byte_size: 128 },
      { name: 'h_out', key: outKey, offset: 64, byte_size: 192 },
    ]);
    assert.deepEqual(JSON.parse((await get('/v2/systemsharedmemory/region/h_out/status')).text), [
      { name: 'h_out', key: outKey, offset: 64, byte_size: 192 },
    ]);

    const res = await post('/v2/models/simple/infer', {
      id: 'shm1',
      inputs: [shmInput('INPUT0', 'h_in', 0), shmInput('INPUT1', 'h_in', 64)],
      outputs: [shmOutput('OUTPUT0', 'h_out', 0), shmOutput('OUTPUT1', 'h_out', 64)],
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(res.text), {
      id: 'shm1', model_name: 'simple', model_version: '1',
      outputs: [
        { name: 'OUTPUT0', datatype: 'INT32', shape: [1, 16] },
        { name: 'OUTPUT1', datatype: 'INT32', shape: [1, 16] },
      ],
    });
    const out = world.read(outKey);
    assert.deepEqual(readInt32(out.subarray(0, 64)), new Array(16).fill(0), 'bytes before the registered offset untouched');
    assert.deepEqual(readInt32(out.subarray(64, 128)), RANGE(0));
    assert.deepEqual(readInt32(out.subarray(128, 192)), RANGE(100));

    // One output in shm, the other as JSON; a JSON input beside a shm input.
    const mixed = await post('/v2/models/simple/infer', {
      inputs: [shmInput('INPUT0', 'h_in', 64), { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: RANGE(7) }],
      outputs: [shmOutput('OUTPUT0', 'h_out', 128), { name: 'OUTPUT1' }],
    });
    assert.equal(mixed.status, 200, mixed.text);
    assert.deepEqual(JSON.parse(mixed.text).outputs, [
      { name: 'OUTPUT0', datatype: 'INT32', shape: [1, 16] },
      { name: 'OUTPUT1', datatype: 'INT32', shape: [1, 16], data: RANGE(7) },
    ]);
    assert.deepEqual(readInt32(world.read(outKey).subarray(192, 256)), RANGE(100));

    assert.equal((await post('/v2/systemsharedmemory/unregister', {})).status, 200);
    assert.equal((await get('/v2/systemsharedmemory/status')).text, '[]');
  });

  it('refuses bad registrations with Triton texts', async () => {
    const key = world.object('h-reg', 64);
    assert.deepEqual(error(await register('r', { key: '/inferd-no-such-object', byte_size: 8 })),
      [500, "Unable to open shared memory region: '/inferd-no-such-object'"]);
    assert.deepEqual(error(await register('r', { key, offset: 32, byte_size: 64 })),
      [400, "failed to register shared memory region 'r': invalid args"]);
    assert.deepEqual(error(await register('r', { byte_size: 8 })), [400, "Shared memory register request has no 'key' field"]);
    assert.deepEqual(error(await register('r', { key })), [400, "Shared memory register request has no 'byte_size' field"]);
    assert.deepEqual(error(await post('/v2/systemsharedmemory/register', { key, byte_size: 8 })),
      [400, "'region name' is necessary to register system shared memory region"]);
    assert.equal((await register('r', { key, byte_size: 64 })).status, 200);
    assert.deepEqual(error(await register('r', { key, byte_size: 8 })), [400, "shared memory region 'r' already in manager"]);
    assert.deepEqual(error(await get('/v2/systemsharedmemory/region/nope/status')),
      [404, "Unable to find system shared memory region: 'nope'"]);
    assert.equal((await unregister('nope')).status, 200, 'unregistering an unknown region succeeds');
    assert.equal((await unregister('r')).status, 200);
  });

  it('refuses a symlink or a FIFO planted in /dev/shm as shm_open does; the symlink target is untouched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inferd-shm-victim-'));
    const victim = join(dir, 'secret.txt');
    const original = Buffer.from('the server can read this file, clients must not\n'.repeat(4));
    writeFileSync(victim, original);
    try {
      const link = world.symlink('h-link', victim);
      assert.deepEqual(error(await register('evil', { key: link, byte_size: 16 })),
        [500, `Unable to open shared memory region: '${link}'`]);
      // Without the leading '/', and with several (shm_open drops them all): the same refusal.
      const bare = link.slice(1);
      assert.deepEqual(error(await register('evil', { key: bare, byte_size: 16 })), [500, `Unable to open shared memory region: '${bare}'`]);
      assert.deepEqual(error(await register('evil', { key: `//${bare}`, byte_size: 16 })), [500, `Unable to open shared memory region: '//${bare}'`]);
      const fifo = world.fifo('h-fifo');
      assert.deepEqual(error(await register('evil', { key: fifo, byte_size: 0 })), [500, `Unable to open shared memory region: '${fifo}'`]);
      assert.deepEqual(error(await register('evil', { key: '/../../etc/passwd', byte_size: 1 })),
        [500, "Unable to open shared memory region: '/../../etc/passwd'"]);
      assert.equal((await get('/v2/systemsharedmemory/region/evil/status')).status, 404, 'nothing was registered');
      assert.deepEqual(readFileSync(victim), original);
      // A regular object named with several leading slashes is the same object, as for shm_open.
      const plain = world.object('h-slashes', 64);
      assert.equal((await register('ok', { key: `//${plain.slice(1)}`, byte_size: 64 })).status, 200);
      assert.equal((await unregister('ok')).status, 200);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad shm tensors at infer', async () => {
    const key = world.object('h-inf', 128);
    assert.equal((await register('hi', { key, byte_size: 128 })).status, 200);
    const inputs = [shmInput('INPUT0', 'hi', 0), shmInput('INPUT1', 'hi', 64)];
    const infer = (body: unknown) => post('/v2/models/simple/infer', body);
    assert.deepEqual(error(await infer({ inputs: [shmInput('INPUT0', 'hi', 100), inputs[1]] })),
      [400, "Invalid offset + byte size for shared memory region: 'hi'"]);
    assert.deepEqual(error(await infer({ inputs, outputs: [shmOutput('OUTPUT0', 'hi', 96, 32)] })),
      [500, "shared memory size specified with the request for output 'OUTPUT0' (32 bytes) should be at least 64 bytes to hold the results"]);
    assert.deepEqual(error(await infer({ inputs: [shmInput('INPUT0', 'ghost', 0), inputs[1]] })),
      [404, "Unable to find shared memory region: 'ghost'"]);
    const both = (extra: object) => ({ inputs, outputs: [{ name: 'OUTPUT0', parameters: { ...shmOutput('OUTPUT0', 'hi', 0).parameters, ...extra } }] });
    assert.deepEqual(error(await infer(both({ classification: 2 }))),
      [400, "Output can't set both 'shared_memory_region' and 'classification'"]);
    assert.deepEqual(error(await infer(both({ binary_data: true }))),
      [400, "Output can't set both 'shared_memory_region' and 'binary_data'"]);
    // Every lease of the failed requests was released: unregister closes the region at once.
    assert.equal((await unregister('hi')).status, 200);
  });

  it('finishes a request in flight when its regions are unregistered', async () => {
    const inKey = world.object('h-fly-in', 128);
    const outKey = world.object('h-fly-out', 128);
    world.write(inKey, 0, Buffer.concat([int32(RANGE(40)), int32(RANGE(60))]));
    assert.equal((await register('fin', { key: inKey, byte_size: 128 })).status, 200);
    assert.equal((await register('fout', { key: outKey, byte_size: 128 })).status, 200);
    const started = executing('held');
    const pending = post('/v2/models/slow/infer', {
      id: 'held', parameters: { delay_ms: 150 },
      inputs: [shmInput('INPUT0', 'fin', 0), shmInput('INPUT1', 'fin', 64)],
      outputs: [shmOutput('OUTPUT0', 'fout', 0), shmOutput('OUTPUT1', 'fout', 64)],
    });
    await started;
    assert.equal((await post('/v2/systemsharedmemory/unregister', {})).status, 200);
    assert.equal((await get('/v2/systemsharedmemory/status')).text, '[]');
    const res = await pending;
    assert.equal(res.status, 200, res.text);
    const out = world.read(outKey);
    assert.deepEqual(readInt32(out.subarray(0, 64)), RANGE(40));
    assert.deepEqual(readInt32(out.subarray(64, 128)), RANGE(60));
  });

  it('refuses register/unregister when client shm is disabled; status still works', async () => {
    const p = world.disabled.httpPort;
    const key = world.object('h-off', 64);
    assert.deepEqual(error(await register('x', { key, byte_size: 64 }, p)), [501, DISABLED]);
    assert.deepEqual(error(await post('/v2/systemsharedmemory/unregister', {}, p)), [501, DISABLED]);
    assert.equal((await get('/v2/systemsharedmemory/status', p)).text, '[]');
    const res = await post('/v2/models/simple/infer', { inputs: [shmInput('INPUT0', 'x', 0), shmInput('INPUT1', 'x', 0)] }, p);
    assert.deepEqual(error(res), [404, "Unable to find shared memory region: 'x'"]);
  });
});
