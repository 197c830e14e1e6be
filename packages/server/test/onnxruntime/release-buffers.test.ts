/**
 * releaseBuffers (the instance worker frees a run's feeds with it): large detachable buffers are
 * detached once each, views onto them go empty; small ones, shared memory and non-detachable
 * buffers are left alone (the GC takes them as before).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RELEASE_MIN_BYTES, releaseBuffers } from '../../src/core/release-buffers.js';

test('large buffers are detached (each once, even when several views share one); small ones are kept', () => {
  const big = new Uint8Array(RELEASE_MIN_BYTES + 8);
  const a = big.subarray(0, 4);
  const b = big.subarray(8);
  const small = new Uint8Array(RELEASE_MIN_BYTES - 1);
  releaseBuffers([a, b, small]);
  assert.equal(big.buffer.byteLength, 0);
  assert.equal(a.byteLength, 0);
  assert.equal(b.byteLength, 0);
  assert.equal(small.byteLength, RELEASE_MIN_BYTES - 1);
});

test('shared memory and buffers that cannot be detached are left as they are', () => {
  const shared = new Uint8Array(new SharedArrayBuffer(RELEASE_MIN_BYTES));
  const wasm = new Uint8Array(new WebAssembly.Memory({ initial: 17 }).buffer);
  assert.ok(wasm.byteLength >= RELEASE_MIN_BYTES);
  const length = wasm.byteLength;
  releaseBuffers([shared, wasm]);
  assert.equal(shared.byteLength, RELEASE_MIN_BYTES);
  assert.equal(wasm.byteLength, length);
});
