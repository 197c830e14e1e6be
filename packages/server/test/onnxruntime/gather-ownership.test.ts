/**
 * gatherFeeds' ownership rule: an input buffer is moved to the pool thread (listed for transfer, no copy)
 * only when the request owns it (InferenceRequestInit.ownedBuffers) and the view is aligned; anything
 * else — a pooled small Buffer above all — is copied or cloned, never detached.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceRequest, type Tensor } from '../../src/core/index.js';
import { validateRequest } from '../../src/core/validate.js';
import { gatherFeeds, type InputPlan } from '../../src/backends/onnxruntime/gather-inputs.js';
import { specOf } from './helpers.js';

const spec = specOf({
  name: 'id', max_batch_size: 8,
  input: [{ name: 'INPUT0', data_type: 'TYPE_FP32', dims: [-1] }],
  output: [{ name: 'OUTPUT0', data_type: 'TYPE_FP32', dims: [-1] }],
});
const PLANS: InputPlan[] = [{ name: 'INPUT0', ortType: 'float32', reshape: undefined }];

function requestWith(data: Uint8Array, ownedBuffers?: ArrayBuffer[]): InferenceRequest {
  const input: Tensor = { name: 'INPUT0', datatype: 'FP32', shape: [1, data.byteLength / 4], data };
  const init = { modelName: 'id', inputs: [input], ...(ownedBuffers ? { ownedBuffers } : {}) };
  const { batchSize, requestedOutputs } = validateRequest(init, spec);
  return new InferenceRequest({ init, modelVersion: 1, requestedOutputs, batchSize, received: 1, sink: () => {} });
}

test('an owned, aligned input is moved as it is: its buffer is the one transfer, no copy', () => {
  const body = Buffer.allocUnsafeSlow(1 << 20);
  const view = body.subarray(64, 64 + 4096);
  const { feeds, transfer } = gatherFeeds([requestWith(view, [body.buffer as ArrayBuffer])], PLANS, true);
  assert.equal(feeds[0]!.data, view);
  assert.deepEqual(transfer, [body.buffer]);
});

test('an owned but misaligned view is copied into a buffer of its own', () => {
  const body = Buffer.allocUnsafeSlow(1 << 20);
  const view = body.subarray(3, 3 + 4096);
  const { feeds, transfer } = gatherFeeds([requestWith(view, [body.buffer as ArrayBuffer])], PLANS, true);
  assert.notEqual(feeds[0]!.data.buffer, body.buffer);
  assert.deepEqual(transfer, [feeds[0]!.data.buffer]);
  assert.ok(!transfer.includes(body.buffer as ArrayBuffer));
});

test('a pooled small Buffer the request does not own is never listed for transfer', () => {
  const neighbour = Buffer.from('neighbour in the same pool slab');
  // Buffer.from(<Buffer>) of a small size copies into Node's shared pool slab.
  const fromPool = Buffer.from(Buffer.from(new Float32Array([1, 2, 3, 4]).buffer));
  assert.ok(fromPool.buffer.byteLength > fromPool.byteLength, 'the test needs a pooled Buffer');
  const { feeds, transfer } = gatherFeeds([requestWith(fromPool)], PLANS, true);
  assert.ok(!transfer.includes(fromPool.buffer as ArrayBuffer));
  assert.notEqual(feeds[0]!.data.buffer, fromPool.buffer);
  // Posting the feeds with their transfer list leaves the pool slab, and its other Buffers, alone.
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(feeds, transfer);
  port1.close();
  port2.close();
  assert.ok(fromPool.buffer.byteLength > 0);
  assert.equal(neighbour.toString(), 'neighbour in the same pool slab');
  assert.deepEqual([...new Float32Array(fromPool.buffer, fromPool.byteOffset, 4)], [1, 2, 3, 4]);
});
