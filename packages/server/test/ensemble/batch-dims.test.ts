/**
 * Ensembles whose steps mix batching and non-batching models (Triton adds or removes the batch dim
 * between steps: ReshapeTensorDims), and classification of an ensemble output with the label file of
 * the member output it comes from. Built-in identity models as steps, in-process API and HTTP.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpFrontend } from '../../src/frontends/http/index.js';
import { ServerError } from '../../src/core/index.js';
import { inferJson } from '../support/http-harness.js';
import { fp32 } from '../support/temp-repo.js';
import { ensembleConfig, int32, readInt32, startServer, step, type Started } from './support.js';

function identity(maxBatch: number, type: string, dims: string, outputExtra = ''): string {
  return [
    'backend: "identity"', `max_batch_size: ${maxBatch}`,
    `input [ { name: "IN" data_type: ${type} dims: ${dims} } ]`,
    `output [ { name: "OUT" data_type: ${type} dims: ${dims} ${outputExtra} } ]`,
  ].join('\n');
}

const io = (type: string, dims: string, outputExtra = '') =>
  `input [ { name: "IN" data_type: ${type} dims: ${dims} } ]\noutput [ { name: "OUT" data_type: ${type} dims: ${dims} ${outputExtra} } ]`;

/** Non-batching ensemble: [16] -> batching step (gets [1,16]) -> non-batching step (gets [16]). */
const NOBATCH_ENS = ensembleConfig('nobatch_ens', `${io('TYPE_INT32', '[ 16 ]')}
ensemble_scheduling { ${step('b8', { IN: 'IN' }, { OUT: 'mid' })} ${step('nb', { IN: 'mid' }, { OUT: 'OUT' })} }`);

/** Batching ensemble: [1,16] -> non-batching step (gets [16]) -> batching step (gets [1,16]). */
const BATCH_ENS = ensembleConfig('batch_ens', `${io('TYPE_INT32', '[ 16 ]')}
ensemble_scheduling { ${step('nb', { IN: 'IN' }, { OUT: 'mid' })} ${step('b8', { IN: 'mid' }, { OUT: 'OUT' })} }`, 8);

/** Batching ensemble over one non-batching step: its [16] output is answered as [1,16]. */
const BATCH_OVER_NB = ensembleConfig('batch_over_nb', `${io('TYPE_INT32', '[ 16 ]')}
ensemble_scheduling { ${step('nb', { IN: 'IN' }, { OUT: 'OUT' })} }`, 8);

/** Non-batching ensemble over one batching step: the step's [1,16] output is answered as [16]. */
const NOBATCH_OVER_B8 = ensembleConfig('nobatch_over_b8', `${io('TYPE_INT32', '[ 16 ]')}
ensemble_scheduling { ${step('b8', { IN: 'IN' }, { OUT: 'OUT' })} }`);

const CLS_ENS = ensembleConfig('cls_ens', `${io('TYPE_FP32', '[ 4 ]')}
ensemble_scheduling { ${step('cls', { IN: 'IN' }, { OUT: 'OUT' })} }`);

/** The ensemble's own label_filename wins over the member's (Triton fills only outputs without labels). */
const CLS_OWN_ENS = ensembleConfig('cls_own_ens', `${io('TYPE_FP32', '[ 4 ]', 'label_filename: "own.txt"')}
ensemble_scheduling { ${step('cls', { IN: 'IN' }, { OUT: 'OUT' })} }`);

/** A batching ensemble over the batching classifier: one label list per batch item. */
const CLS_BATCH_ENS = ensembleConfig('cls_batch_ens', `${io('TYPE_FP32', '[ 4 ]')}
ensemble_scheduling { ${step('cls8', { IN: 'IN' }, { OUT: 'OUT' })} }`, 8);

let s: Started;
let http: HttpFrontend;
let port: number;

before(async () => {
  s = await startServer({
    'b8/config.pbtxt': identity(8, 'TYPE_INT32', '[ 16 ]'), 'b8/1/': null,
    'nb/config.pbtxt': identity(0, 'TYPE_INT32', '[ 16 ]'), 'nb/1/': null,
    'cls/config.pbtxt': identity(0, 'TYPE_FP32', '[ 4 ]', 'label_filename: "labels.txt"'), 'cls/1/': null,
    'cls/labels.txt': 'cat\ndog\nbird\nfish\n',
    'cls8/config.pbtxt': identity(8, 'TYPE_FP32', '[ 4 ]', 'label_filename: "labels.txt"'), 'cls8/1/': null,
    'cls8/labels.txt': 'cat\ndog\nbird\nfish\n',
    'nobatch_ens/config.pbtxt': NOBATCH_ENS, 'nobatch_ens/1/': null,
    'batch_ens/config.pbtxt': BATCH_ENS, 'batch_ens/1/': null,
    'batch_over_nb/config.pbtxt': BATCH_OVER_NB, 'batch_over_nb/1/': null,
    'nobatch_over_b8/config.pbtxt': NOBATCH_OVER_B8, 'nobatch_over_b8/1/': null,
    'cls_ens/config.pbtxt': CLS_ENS, 'cls_ens/1/': null,
    'cls_own_ens/config.pbtxt': CLS_OWN_ENS, 'cls_own_ens/1/': null, 'cls_own_ens/own.txt': 'a\nb\nc\nd\n',
    'cls_batch_ens/config.pbtxt': CLS_BATCH_ENS, 'cls_batch_ens/1/': null,
  });
  assert.deepEqual(s.failed, []);
  http = new HttpFrontend(s.server, { port: 0, address: '127.0.0.1', maxInputSize: 1 << 20 });
  port = (await http.listen()).port;
});

after(async () => {
  await http.close();
  await s.close();
});

const values = Array.from({ length: 16 }, (_, i) => i * 7 - 20);

function ints(shape: number[], rows = 1) {
  return [{ name: 'IN', datatype: 'INT32' as const, shape, data: int32(Array.from({ length: rows }, () => values).flat()) }];
}

test('a non-batching ensemble feeds its [16] input to a batching step as [1,16] and on to a non-batching one as [16]', async () => {
  const out = await s.server.infer({ modelName: 'nobatch_ens', inputs: ints([16]) });
  assert.deepEqual(out.outputs[0]!.shape, [16]);
  assert.deepEqual(readInt32(out.outputs[0]!.data), values);
  const direct = await s.server.infer({ modelName: 'nobatch_over_b8', inputs: ints([16]) });
  assert.deepEqual(direct.outputs[0]!.shape, [16], 'the batching step answered [1,16]; the ensemble does not batch');
});

test('a batching ensemble: batch 1 is stripped for a non-batching step and added back for a batching one', async () => {
  const out = await s.server.infer({ modelName: 'batch_ens', inputs: ints([1, 16]) });
  assert.deepEqual(out.outputs[0]!.shape, [1, 16]);
  assert.deepEqual(readInt32(out.outputs[0]!.data), values);
  const direct = await s.server.infer({ modelName: 'batch_over_nb', inputs: ints([1, 16]) });
  assert.deepEqual(direct.outputs[0]!.shape, [1, 16], 'the non-batching step answered [16]; the ensemble batches');
});

test('a batch of 2 cannot be passed to a non-batching step: the step refuses the [2,16] shape', async () => {
  await assert.rejects(
    s.server.infer({ modelName: 'batch_ens', inputs: ints([2, 16], 2) }),
    (err: unknown) => err instanceof ServerError && err.code === 'INVALID_ARG' && /\[2,16\]/.test(err.message) && /'nb'/.test(err.message),
  );
});

test('the shape checks of the ensemble itself still apply: [1,16] is refused by the non-batching ensemble', async () => {
  await assert.rejects(
    s.server.infer({ modelName: 'nobatch_ens', inputs: ints([1, 16]) }),
    (err: unknown) => err instanceof ServerError && err.code === 'INVALID_ARG' && /nobatch_ens/.test(err.message),
  );
});

test('HTTP: both ensembles answer with their own batching', async () => {
  const nb = await inferJson(port, 'nobatch_ens', { inputs: [{ name: 'IN', datatype: 'INT32', shape: [16], data: values }] });
  assert.equal(nb.status, 200, nb.text);
  assert.deepEqual(JSON.parse(nb.text).outputs[0].shape, [16]);
  const b = await inferJson(port, 'batch_ens', { inputs: [{ name: 'IN', datatype: 'INT32', shape: [1, 16], data: values }] });
  assert.equal(b.status, 200, b.text);
  assert.deepEqual(JSON.parse(b.text).outputs[0].shape, [1, 16]);
  assert.deepEqual(JSON.parse(b.text).outputs[0].data, values);
});

test('classification of an ensemble output uses the label file of the member output it is mapped from', async () => {
  const out = await s.server.infer({
    modelName: 'cls_ens',
    inputs: [{ name: 'IN', datatype: 'FP32', shape: [4], data: fp32([0.1, 0.7, 0.05, 0.15]) }],
    outputs: [{ name: 'OUT', classification: 3 }],
  });
  assert.deepEqual(decodeBytes(out.outputs[0]!.data), ['0.700000:1:dog', '0.150000:3:fish', '0.100000:0:cat']);
});

test('HTTP classification on an ensemble: score:index:label (the ensemble\'s own label file wins when it has one)', async () => {
  const body = (classification: number) => ({
    inputs: [{ name: 'IN', datatype: 'FP32', shape: [4], data: [0.1, 0.7, 0.05, 0.15] }],
    outputs: [{ name: 'OUT', parameters: { classification } }],
  });
  const member = await inferJson(port, 'cls_ens', body(2));
  assert.equal(member.status, 200, member.text);
  assert.deepEqual(JSON.parse(member.text).outputs[0].data, ['0.700000:1:dog', '0.150000:3:fish']);
  const own = await inferJson(port, 'cls_own_ens', body(1));
  assert.equal(own.status, 200, own.text);
  assert.deepEqual(JSON.parse(own.text).outputs[0].data, ['0.700000:1:b']);
  const batched = await inferJson(port, 'cls_batch_ens', {
    inputs: [{ name: 'IN', datatype: 'FP32', shape: [2, 4], data: [0.1, 0.7, 0.05, 0.15, 0.9, 0, 0, 0.1] }],
    outputs: [{ name: 'OUT', parameters: { classification: 1 } }],
  });
  assert.equal(batched.status, 200, batched.text);
  const t = JSON.parse(batched.text).outputs[0];
  assert.deepEqual(t.shape, [2, 1]);
  assert.deepEqual(t.data, ['0.700000:1:dog', '0.900000:0:cat']);
});

/** BYTES elements: 4-byte little-endian length, then the bytes. */
function decodeBytes(data: Uint8Array): string[] {
  const out: string[] = [];
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let at = 0; at < data.byteLength;) {
    const n = view.getUint32(at, true);
    out.push(Buffer.from(data.subarray(at + 4, at + 4 + n)).toString('utf8'));
    at += 4 + n;
  }
  return out;
}
