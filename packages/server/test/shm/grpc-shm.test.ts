/**
 * System shared memory over gRPC (spec §1.8, §5.3): register/status/unregister RPCs, shm InferParameters
 * on inputs and outputs (raw_input_contents indexed over non-shm inputs only, empty raw entries for shm
 * outputs), Triton's errors as gRPC status codes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status as Status, type ServiceError } from '@grpc/grpc-js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { executing } from '../support/executing.js';
import type { TestClient } from '../support/grpc-client.js';
import { int32, RANGE, readInt32, startShmWorld, type ShmWorld } from './shm-support.js';

const DISABLED = "Client shared memory is disabled. Start the server with '--allow-client-shm=true' to enable.";

let world: ShmWorld;
let client: TestClient;

before(async () => {
  world = await startShmWorld();
  client = world.enabled.grpc;
});
after(async () => world.close());

function shmParams(region: string, offset: number, size = 64) {
  return {
    shared_memory_region: { string_param: region },
    shared_memory_offset: { int64_param: offset },
    shared_memory_byte_size: { int64_param: size },
  };
}
const shmInput = (name: string, region: string, offset: number, size = 64) =>
  ({ name, datatype: 'INT32', shape: [1, 16], parameters: shmParams(region, offset, size) });
const rawInput = (name: string) => ({ name, datatype: 'INT32', shape: [1, 16] });

async function failure(p: Promise<unknown>): Promise<[number, string]> {
  try {
    await p;
  } catch (err) {
    const e = err as ServiceError;
    return [e.code, e.details];
  }
  assert.fail('expected the call to fail');
}

const register = (c: TestClient, name: string, key: string, byteSize: number, offset = 0) =>
  c.call('SystemSharedMemoryRegister', { name, key, offset, byte_size: byteSize });

describe('gRPC system shared memory', () => {
  it('registers, lists and infers with inputs and outputs in shm', async () => {
    const inKey = world.object('g-in', 128);
    const outKey = world.object('g-out', 128);
    world.write(inKey, 0, Buffer.concat([int32(RANGE(0)), int32(RANGE(200))]));
    await register(client, 'g_in', inKey, 128);
    await register(client, 'g_out', outKey, 64, 64);
    const all = await client.call('SystemSharedMemoryStatus', { name: '' });
    assert.deepEqual(all.regions, {
      g_in: { name: 'g_in', key: inKey, offset: '0', byte_size: '128' },
      g_out: { name: 'g_out', key: outKey, offset: '64', byte_size: '64' },
    });
    const one = await client.call('SystemSharedMemoryStatus', { name: 'g_in' });
    assert.deepEqual(Object.keys(one.regions), ['g_in']);

    // INPUT0 from shm; INPUT1 from raw_input_contents[0] (the index skips shm inputs).
    // OUTPUT0 into shm (empty raw entry); OUTPUT1 in raw_output_contents.
    const res = await client.call('ModelInfer', {
      model_name: 'simple', id: 'g1',
      inputs: [shmInput('INPUT0', 'g_in', 64), rawInput('INPUT1')],
      outputs: [{ name: 'OUTPUT0', parameters: shmParams('g_out', 0) }, { name: 'OUTPUT1' }],
      raw_input_contents: [int32(RANGE(9))],
    });
    assert.equal(res.id, 'g1');
    assert.deepEqual(res.outputs.map((o: { name: string; datatype: string; shape: string[] }) => [o.name, o.datatype, o.shape.map(Number)]), [
      ['OUTPUT0', 'INT32', [1, 16]],
      ['OUTPUT1', 'INT32', [1, 16]],
    ]);
    assert.equal(res.raw_output_contents.length, 2);
    assert.equal(res.raw_output_contents[0].byteLength, 0);
    assert.deepEqual(readInt32(res.raw_output_contents[1]), RANGE(9));
    const out = world.read(outKey);
    assert.deepEqual(readInt32(out.subarray(0, 64)), new Array(16).fill(0));
    assert.deepEqual(readInt32(out.subarray(64, 128)), RANGE(200));

    await client.call('SystemSharedMemoryUnregister', { name: 'g_in' });
    assert.deepEqual(Object.keys((await client.call('SystemSharedMemoryStatus', { name: '' })).regions), ['g_out']);
    await client.call('SystemSharedMemoryUnregister', { name: '' });
    assert.deepEqual((await client.call('SystemSharedMemoryStatus', { name: '' })).regions, {});
  });

  it('refuses a symlink planted in /dev/shm as shm_open does; the target is neither read nor written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inferd-shm-victim-'));
    const victim = join(dir, 'secret.bin');
    const original = Buffer.from(new Int32Array(RANGE(1000)).buffer);
    writeFileSync(victim, original);
    try {
      const link = world.symlink('g-link', victim);
      assert.deepEqual(await failure(register(client, 'evil', link, 64)),
        [Status.INTERNAL, `Unable to open shared memory region: '${link}'`]);
      const fifo = world.fifo('g-fifo');
      assert.deepEqual(await failure(register(client, 'evil', fifo, 0)),
        [Status.INTERNAL, `Unable to open shared memory region: '${fifo}'`]);
      assert.deepEqual(await failure(client.call('SystemSharedMemoryStatus', { name: 'evil' })),
        [Status.NOT_FOUND, "Unable to find system shared memory region: 'evil'"]);
      assert.deepEqual(readFileSync(victim), original);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad registrations with Triton texts and codes', async () => {
    const key = world.object('g-reg', 64);
    assert.deepEqual(await failure(register(client, 'r', '/inferd-no-such-object', 8)),
      [Status.INTERNAL, "Unable to open shared memory region: '/inferd-no-such-object'"]);
    assert.deepEqual(await failure(register(client, 'r', key, 64, 1)),
      [Status.INVALID_ARGUMENT, "failed to register shared memory region 'r': invalid args"]);
    await register(client, 'r', key, 64);
    assert.deepEqual(await failure(register(client, 'r', key, 8)),
      [Status.ALREADY_EXISTS, "shared memory region 'r' already in manager"]);
    assert.deepEqual(await failure(client.call('SystemSharedMemoryStatus', { name: 'nope' })),
      [Status.NOT_FOUND, "Unable to find system shared memory region: 'nope'"]);
    await client.call('SystemSharedMemoryUnregister', { name: 'nope' });
    await client.call('SystemSharedMemoryUnregister', { name: 'r' });
  });

  it('refuses bad shm tensors at infer', async () => {
    const key = world.object('g-inf', 128);
    await register(client, 'gi', key, 128);
    const inputs = [shmInput('INPUT0', 'gi', 0), shmInput('INPUT1', 'gi', 64)];
    const infer = (body: object) => client.call('ModelInfer', { model_name: 'simple', ...body });
    assert.deepEqual(await failure(infer({ inputs: [shmInput('INPUT0', 'gi', 0, 256), inputs[1]] })),
      [Status.INVALID_ARGUMENT, "Invalid offset + byte size for shared memory region: 'gi'"]);
    assert.deepEqual(await failure(infer({ inputs, outputs: [{ name: 'OUTPUT1', parameters: shmParams('gi', 112, 16) }] })),
      [Status.INTERNAL, "shared memory size specified with the request for output 'OUTPUT1' (16 bytes) should be at least 64 bytes to hold the results"]);
    assert.deepEqual(await failure(infer({ inputs: [shmInput('INPUT0', 'ghost', 0), inputs[1]] })),
      [Status.NOT_FOUND, "Unable to find shared memory region: 'ghost'"]);
    assert.deepEqual(await failure(infer({ inputs: [{ ...rawInput('INPUT0'), parameters: { shared_memory_offset: { int64_param: 0 } } }, inputs[1]] })),
      [Status.INVALID_ARGUMENT, "'shared_memory_offset' and 'shared_memory_byte_size' require 'shared_memory_region' to be specified"]);
    assert.deepEqual(await failure(infer({ inputs: [{ ...rawInput('INPUT0'), parameters: { ...shmParams('gi', 0), shared_memory_offset: { string_param: '0' } } }, inputs[1]] })),
      [Status.INVALID_ARGUMENT, "invalid value type for 'shared_memory_offset' parameter, expected int64_param."]);
    assert.deepEqual(await failure(infer({ inputs, outputs: [{ name: 'OUTPUT0', parameters: { ...shmParams('gi', 0), classification: { int64_param: 2 } } }] })),
      [Status.INVALID_ARGUMENT, "output can't set both 'shared_memory_region' and 'classification'"]);
    await client.call('SystemSharedMemoryUnregister', { name: 'gi' });
  });

  it('finishes a request in flight when its regions are unregistered', async () => {
    const inKey = world.object('g-fly-in', 64);
    const outKey = world.object('g-fly-out', 128);
    world.write(inKey, 0, int32(RANGE(70)));
    await register(client, 'gfin', inKey, 64);
    await register(client, 'gfout', outKey, 128);
    const started = executing('gheld');
    const pending = client.call('ModelInfer', {
      model_name: 'slow',
      id: 'gheld', parameters: { delay_ms: { int64_param: 150 } },
      inputs: [shmInput('INPUT0', 'gfin', 0), rawInput('INPUT1')],
      outputs: [{ name: 'OUTPUT0', parameters: shmParams('gfout', 0) }, { name: 'OUTPUT1', parameters: shmParams('gfout', 64) }],
      raw_input_contents: [int32(RANGE(80))],
    });
    await started;
    await client.call('SystemSharedMemoryUnregister', { name: '' });
    assert.deepEqual((await client.call('SystemSharedMemoryStatus', { name: '' })).regions, {});
    const res = await pending;
    assert.deepEqual(res.raw_output_contents.map((b: Buffer) => b.byteLength), [0, 0]);
    const out = world.read(outKey);
    assert.deepEqual(readInt32(out.subarray(0, 64)), RANGE(70));
    assert.deepEqual(readInt32(out.subarray(64, 128)), RANGE(80));
  });

  it('ModelStreamInfer reads and writes shm tensors', async () => {
    const key = world.object('g-stream', 128);
    world.write(key, 0, int32(RANGE(300)));
    await register(client, 'gs', key, 128);
    const stream = client.stream();
    const got = new Promise<any>((resolve, reject) => {
      stream.on('data', resolve);
      stream.on('error', reject);
    });
    stream.write({
      model_name: 'simple', id: 's1',
      inputs: [shmInput('INPUT0', 'gs', 0), rawInput('INPUT1')],
      outputs: [{ name: 'OUTPUT0', parameters: shmParams('gs', 64) }],
      raw_input_contents: [int32(RANGE(5))],
    } as never);
    const msg = await got;
    stream.end();
    assert.equal(msg.error_message, '');
    assert.deepEqual(msg.infer_response.raw_output_contents.map((b: Buffer) => b.byteLength), [0]);
    assert.deepEqual(readInt32(world.read(key).subarray(64, 128)), RANGE(300));
    await client.call('SystemSharedMemoryUnregister', { name: 'gs' });
  });

  it('refuses register/unregister when client shm is disabled; status still works', async () => {
    const off = world.disabled.grpc;
    const key = world.object('g-off', 64);
    assert.deepEqual(await failure(register(off, 'x', key, 64)), [Status.UNIMPLEMENTED, DISABLED]);
    assert.deepEqual(await failure(off.call('SystemSharedMemoryUnregister', { name: '' })), [Status.UNIMPLEMENTED, DISABLED]);
    assert.deepEqual((await off.call('SystemSharedMemoryStatus', { name: '' })).regions, {});
  });
});
