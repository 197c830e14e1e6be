import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { CLIENT_SHM_DISABLED, ServerError, SystemSharedMemory } from '../../src/core/index.js';

const shmDir = existsSync('/dev/shm') ? '/dev/shm' : undefined;

function isError(code: string, message: string) {
  return (e: unknown) => e instanceof ServerError && e.code === code && e.message === message;
}

test('disabled by default: register/unregister refused with Triton\'s message, status answers', () => {
  const shm = new SystemSharedMemory({ enabled: false });
  assert.throws(() => shm.register('r', '/k', 0, 4), isError('UNSUPPORTED', CLIENT_SHM_DISABLED));
  assert.throws(() => shm.unregister('r'), isError('UNSUPPORTED', CLIENT_SHM_DISABLED));
  assert.deepEqual(shm.status(), []);
});

test('register, read and write through a lease, status, unregister', { skip: shmDir === undefined }, () => {
  const key = `inferd_test_${process.pid}_a`;
  writeFileSync(`${shmDir}/${key}`, Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]));
  try {
    const shm = new SystemSharedMemory({ enabled: true });
    shm.register('in', `/${key}`, 4, 8);
    assert.deepEqual(shm.status(), [{ name: 'in', key: `/${key}`, offset: 4, byte_size: 8 }]);
    assert.throws(() => shm.register('in', `/${key}`, 0, 4), isError('ALREADY_EXISTS', "shared memory region 'in' already in manager"));
    assert.throws(() => shm.register('big', `/${key}`, 8, 9), isError('INVALID_ARG', "failed to register shared memory region 'big': invalid args"));
    assert.throws(() => shm.register('x', '/inferd_no_such_object', 0, 1), isError('INTERNAL', "Unable to open shared memory region: '/inferd_no_such_object'"));
    assert.throws(() => shm.register('x', '/../etc/passwd', 0, 1), isError('INTERNAL', "Unable to open shared memory region: '/../etc/passwd'"));
    assert.throws(() => shm.status('nope'), isError('NOT_FOUND', "Unable to find system shared memory region: 'nope'"));

    const lease = shm.acquire('in', 2, 4);
    assert.deepEqual([...lease.read(0, 4)], [6, 7, 8, 9]);
    lease.write(1, Uint8Array.from([70, 80]));
    assert.throws(() => shm.acquire('in', 6, 4), isError('INVALID_ARG', "Invalid offset + byte size for shared memory region: 'in'"));
    // Unregistering a region in use keeps it readable for the request that holds it.
    shm.unregister('in');
    assert.deepEqual(shm.status(), []);
    assert.deepEqual([...lease.read(0, 4)], [6, 70, 80, 9]);
    lease.release();
    assert.deepEqual([...readFileSync(`${shmDir}/${key}`)].slice(6, 10), [6, 70, 80, 9]);
    shm.unregister('never-registered');
  } finally {
    rmSync(`${shmDir}/${key}`, { force: true });
  }
});
