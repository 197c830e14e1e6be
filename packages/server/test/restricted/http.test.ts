/**
 * --http-restricted-api over real sockets: every API group answers 403 with Triton's message without
 * its header (or with a wrong value) and normally with it; --http-header-forward-pattern reaches the model.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from '../support/http-harness.js';
import { serveBoth, type Served } from './harness.js';
import type { RestrictedGroup, Restriction } from '../../src/frontends/common/restricted-apis.js';

const GROUPS: RestrictedGroup[] = [
  'health', 'metadata', 'inference', 'shared-memory', 'model-config', 'model-repository', 'statistics', 'trace', 'logging',
];
/** One distinct header per group, so a header of one group never opens another. */
const restrictions = new Map<RestrictedGroup, Restriction>(GROUPS.map((g) => [g, { key: `X-Key-${g}`, value: `v-${g}` }]));

const INFER = JSON.stringify({ inputs: [{ name: 'INPUT0', shape: [1, 2], datatype: 'FP32', data: [1.5, 2] }] });
const PARAMS_INFER = JSON.stringify({ inputs: [{ name: 'IN', shape: [1], datatype: 'INT32', data: [0] }], parameters: { own: 'p' } });

/** Every endpoint with its group and the status it answers when allowed. */
const ENDPOINTS: [RestrictedGroup, string, string, string | undefined, number][] = [
  ['health', 'GET', '/v2/health/live', undefined, 200],
  ['health', 'GET', '/v2/health/ready', undefined, 200],
  ['health', 'GET', '/v2/models/echo/ready', undefined, 200],
  ['metadata', 'GET', '/v2', undefined, 200],
  ['metadata', 'GET', '/v2/models/echo', undefined, 200],
  ['inference', 'POST', '/v2/models/echo/infer', INFER, 200],
  ['inference', 'POST', '/v2/models/echo/versions/1/infer', INFER, 200],
  ['shared-memory', 'GET', '/v2/systemsharedmemory/status', undefined, 200],
  ['shared-memory', 'GET', '/v2/cudasharedmemory/status', undefined, 200],
  ['model-config', 'GET', '/v2/models/echo/config', undefined, 200],
  ['model-repository', 'POST', '/v2/repository/index', '{}', 200],
  ['statistics', 'GET', '/v2/models/stats', undefined, 200],
  ['statistics', 'GET', '/v2/models/echo/stats', undefined, 200],
  ['trace', 'GET', '/v2/trace/setting', undefined, 200],
  ['trace', 'GET', '/v2/models/echo/trace/setting', undefined, 200],
  ['logging', 'GET', '/v2/logging', undefined, 200],
];

let served: Served;
before(async () => {
  served = await serveBoth({ restrictedApis: restrictions, headerForwardPattern: /^x-fwd-/i });
});
after(async () => served.close());

for (const [group, method, path, body, okStatus] of ENDPOINTS) {
  test(`${group}: ${method} ${path}`, async () => {
    const { key, value } = restrictions.get(group)!;
    const refused = JSON.stringify({ error: `This API is restricted, expecting header '${key}'` });
    const opts = body === undefined ? {} : { body };
    const without = await request(served.httpPort, method, path, opts);
    assert.equal(without.status, 403);
    assert.equal(without.text, refused);
    assert.equal(without.headers['content-type'], 'application/json');
    const wrong = await request(served.httpPort, method, path, { ...opts, headers: { [key]: `${value}x` } });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.text, refused);
    // Another group's header does not open this one.
    const other = GROUPS.find((g) => g !== group)!;
    const otherHeader = await request(served.httpPort, method, path, {
      ...opts, headers: { [restrictions.get(other)!.key]: restrictions.get(other)!.value },
    });
    assert.equal(otherHeader.status, 403);
    const allowed = await request(served.httpPort, method, path, { ...opts, headers: { [key.toLowerCase()]: value } });
    assert.equal(allowed.status, okStatus, allowed.text);
  });
}

test('inference: /generate and /generate_stream are refused without the header', async () => {
  const { key, value } = restrictions.get('inference')!;
  for (const path of ['/v2/models/params/generate', '/v2/models/params/versions/1/generate_stream']) {
    const r = await request(served.httpPort, 'POST', path, { body: '{"IN":[1]}' });
    assert.equal(r.status, 403, path);
    assert.equal(r.text, JSON.stringify({ error: `This API is restricted, expecting header '${key}'` }));
    const allowed = await request(served.httpPort, 'POST', path, { body: '{"IN":[1]}', headers: { [key]: value } });
    assert.notEqual(allowed.status, 403, path);
  }
});

test('an unknown path is still 404, not 403', async () => {
  const r = await request(served.httpPort, 'GET', '/v2/nothing');
  assert.equal(r.status, 404);
});

test('header forwarding: matching headers reach the model as string parameters, others do not', async () => {
  const inference = restrictions.get('inference')!;
  const r = await request(served.httpPort, 'POST', '/v2/models/params/infer', {
    body: PARAMS_INFER,
    headers: { [inference.key]: inference.value, 'X-Fwd-Tenant': 'acme', 'x-fwd-n': '7', 'X-Other': 'no' },
  });
  assert.equal(r.status, 200, r.text);
  const out = JSON.parse(r.text).outputs[0];
  assert.equal(out.datatype, 'BYTES');
  assert.deepEqual(JSON.parse(out.data[0]), { own: 'p', 'x-fwd-tenant': 'acme', 'x-fwd-n': '7' });
});

test('header forwarding applies to raw binary requests (Inference-Header-Content-Length: 0) too', async () => {
  const inference = restrictions.get('inference')!;
  const r = await request(served.httpPort, 'POST', '/v2/models/params/infer', {
    body: new Uint8Array(new Int32Array([5]).buffer),
    headers: { [inference.key]: inference.value, 'Inference-Header-Content-Length': 0, 'X-Fwd-Raw': 'yes' },
  });
  assert.equal(r.status, 200, r.text);
  const headerLength = Number(r.headers['inference-header-content-length']);
  const header = JSON.parse(r.body.subarray(0, headerLength).toString('utf8'));
  assert.equal(header.outputs[0].name, 'OUT');
  const blob = r.body.subarray(headerLength);
  assert.deepEqual(JSON.parse(blob.subarray(4).toString('utf8')), { 'x-fwd-raw': 'yes' });
});

test('without a forward pattern no header is forwarded', async () => {
  const plain = await serveBoth();
  try {
    const r = await request(plain.httpPort, 'POST', '/v2/models/params/infer', { body: PARAMS_INFER, headers: { 'X-Fwd-Tenant': 'acme' } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(JSON.parse(JSON.parse(r.text).outputs[0].data[0]), { own: 'p' });
  } finally {
    await plain.close();
  }
});
