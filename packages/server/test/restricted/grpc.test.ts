/**
 * --grpc-restricted-protocol over a real gRPC connection: every RPC of every group fails with
 * UNAVAILABLE and Triton's message without the `triton-grpc-protocol-<key>` metadata (or with a wrong
 * value) and succeeds with it; --grpc-header-forward-pattern reaches the model on ModelInfer and
 * ModelStreamInfer.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Metadata, status, type Client, type ServiceError } from '@grpc/grpc-js';
import type { pb } from '@inferd/protocol';
import { serveBoth, type Served } from './harness.js';
import type { RestrictedGroup, Restriction } from '../../src/frontends/common/restricted-apis.js';

const GROUPS: RestrictedGroup[] = [
  'health', 'metadata', 'inference', 'shared-memory', 'model-config', 'model-repository', 'statistics', 'trace', 'logging',
];
const restrictions = new Map<RestrictedGroup, Restriction>(
  GROUPS.map((g) => [g, { key: `triton-grpc-protocol-key-${g}`, value: `v-${g}` }]),
);

const ECHO_INFER = {
  model_name: 'echo',
  inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 2], contents: { fp32_contents: [1.5, 2] } }],
};
const PARAMS_INFER = {
  model_name: 'params',
  inputs: [{ name: 'IN', datatype: 'INT32', shape: [1], contents: { int_contents: [0] } }],
  parameters: { own: { string_param: 'p' } },
};

/** Every unary RPC with its group and a request that succeeds when allowed. */
const RPCS: [RestrictedGroup, string, unknown][] = [
  ['health', 'ServerLive', {}],
  ['health', 'ServerReady', {}],
  ['health', 'ModelReady', { name: 'echo' }],
  ['metadata', 'ServerMetadata', {}],
  ['metadata', 'ModelMetadata', { name: 'echo' }],
  ['inference', 'ModelInfer', ECHO_INFER],
  ['shared-memory', 'SystemSharedMemoryStatus', {}],
  ['shared-memory', 'CudaSharedMemoryStatus', {}],
  ['model-config', 'ModelConfig', { name: 'echo' }],
  ['model-repository', 'RepositoryIndex', {}],
  ['statistics', 'ModelStatistics', { name: 'echo' }],
  ['trace', 'TraceSetting', {}],
  ['logging', 'LogSettings', {}],
];

let served: Served;
before(async () => {
  served = await serveBoth({}, { restrictedApis: restrictions, headerForwardPattern: /^x-fwd-/i });
});
after(async () => served.close());

function md(entries: Record<string, string>): Metadata {
  const m = new Metadata();
  for (const [k, v] of Object.entries(entries)) m.set(k, v);
  return m;
}

function callOn<Res>(client: Client, method: string, request: unknown, metadata: Metadata): Promise<Res> {
  return new Promise((resolve, reject) => {
    const fn = (client as unknown as Record<string, Function>)[method]!;
    fn.call(client, request, metadata, (err: ServiceError | null, res: Res) => (err ? reject(err) : resolve(res)));
  });
}

async function assertRefused(promise: Promise<unknown>, key: string): Promise<void> {
  await assert.rejects(promise, (err: ServiceError) => {
    assert.equal(err.code, status.UNAVAILABLE);
    assert.equal(err.details, `This protocol is restricted, expecting header '${key}'`);
    return true;
  });
}

for (const [group, method, request] of RPCS) {
  test(`${group}: ${method}`, async () => {
    const { key, value } = restrictions.get(group)!;
    const inference = served.client.inference;
    await assertRefused(callOn(inference, method, request, md({})), key);
    await assertRefused(callOn(inference, method, request, md({ [key]: `${value}x` })), key);
    const other = restrictions.get(GROUPS.find((g) => g !== group)!)!;
    await assertRefused(callOn(inference, method, request, md({ [other.key]: other.value })), key);
    await callOn(inference, method, request, md({ [key]: value }));
  });
}

test('health: grpc.health.v1 Check', async () => {
  const { key, value } = restrictions.get('health')!;
  await assertRefused(callOn(served.client.health, 'Check', { service: '' }, md({})), key);
  const res = await callOn<pb.HealthCheckResponse>(served.client.health, 'Check', { service: '' }, md({ [key]: value }));
  assert.equal(res.status, 'SERVING');
});

function streamOnce(metadata: Record<string, string>, request: unknown): Promise<pb.ModelStreamInferResponse[]> {
  return new Promise((resolve, reject) => {
    const stream = served.client.stream(metadata);
    const got: pb.ModelStreamInferResponse[] = [];
    stream.on('data', (m: pb.ModelStreamInferResponse) => got.push(m));
    stream.on('error', reject);
    stream.on('end', () => resolve(got));
    stream.write(request as pb.ModelInferRequestInit);
    stream.end();
  });
}

test('inference: ModelStreamInfer is refused at stream start without the metadata', async () => {
  const { key, value } = restrictions.get('inference')!;
  await assertRefused(streamOnce({}, ECHO_INFER), key);
  const got = await streamOnce({ [key]: value }, ECHO_INFER);
  assert.equal(got.length, 1);
  assert.equal(got[0]!.error_message, '');
});

function echoedParameters(response: pb.ModelInferResponse): unknown {
  const raw = response.raw_output_contents[0]!;
  return JSON.parse(Buffer.from(raw).subarray(4).toString('utf8'));
}

test('header forwarding: matching metadata reaches the model as string parameters (ModelInfer)', async () => {
  const { key, value } = restrictions.get('inference')!;
  const res = await callOn<pb.ModelInferResponse>(served.client.inference, 'ModelInfer', PARAMS_INFER,
    md({ [key]: value, 'X-Fwd-Tenant': 'acme', 'x-other': 'no' }));
  assert.deepEqual(echoedParameters(res), { own: 'p', 'x-fwd-tenant': 'acme' });
});

test('header forwarding: every request of a ModelStreamInfer stream gets the stream metadata', async () => {
  const { key, value } = restrictions.get('inference')!;
  const got = await new Promise<pb.ModelStreamInferResponse[]>((resolve, reject) => {
    const stream = served.client.stream({ [key]: value, 'x-fwd-a': '1' });
    const out: pb.ModelStreamInferResponse[] = [];
    stream.on('data', (m: pb.ModelStreamInferResponse) => out.push(m));
    stream.on('error', reject);
    stream.on('end', () => resolve(out));
    stream.write({ ...PARAMS_INFER, id: 'a' } as pb.ModelInferRequestInit);
    stream.write({ ...PARAMS_INFER, id: 'b', parameters: {} } as pb.ModelInferRequestInit);
    stream.end();
  });
  assert.deepEqual(got.map((m) => m.error_message), ['', '']);
  assert.deepEqual(got.map((m) => echoedParameters(m.infer_response!)), [{ own: 'p', 'x-fwd-a': '1' }, { 'x-fwd-a': '1' }]);
});
