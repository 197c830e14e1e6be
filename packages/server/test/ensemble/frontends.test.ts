/**
 * Ensembles through the real frontends: examples/models/ensemble_add_sub over HTTP and gRPC ModelInfer,
 * and an ensemble with a decoupled step (built-in `repeat`) answering one gRPC stream response per
 * element. The ensemble is decoupled because its first step is (spec §11).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { pb } from '@inferd/protocol';
import { GrpcFrontend } from '../../src/frontends/grpc/index.js';
import { HttpFrontend } from '../../src/frontends/http/index.js';
import { connect, type TestClient } from '../support/grpc-client.js';
import { request } from '../support/http-harness.js';
import { ensembleConfig, examplesDir, simpleModel, startServer, step, type Started } from './support.js';

const REP_ENS = ensembleConfig('rep_ens', `input [ { name: "IN" data_type: TYPE_INT32 dims: [ -1 ] } ]
output [ { name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] } ]
ensemble_scheduling {
  ${step('repeat_int32', { IN: 'IN' }, { OUT: 'element' })}
  ${step('ident_i32', { IN: 'element' }, { OUT: 'OUT' })}
}`);

const IDENT_I32 = [
  'backend: "identity"', 'max_batch_size: 0',
  'input [ { name: "IN" data_type: TYPE_INT32 dims: [ 1 ] } ]', 'output [ { name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] } ]',
].join('\n');

let s: Started;
let http: HttpFrontend;
let grpc: GrpcFrontend;
let httpPort: number;
let client: TestClient;

before(async () => {
  s = await startServer({
    ...simpleModel(),
    'ensemble_add_sub/config.pbtxt': readFileSync(`${examplesDir}/ensemble_add_sub/config.pbtxt`, 'utf8'),
    'ensemble_add_sub/1/': null,
    'repeat_int32/config.pbtxt': readFileSync(`${examplesDir}/repeat_int32/config.pbtxt`, 'utf8'),
    'repeat_int32/1/': null,
    'ident_i32/config.pbtxt': IDENT_I32, 'ident_i32/1/': null,
    'rep_ens/config.pbtxt': REP_ENS, 'rep_ens/1/': null,
  });
  assert.deepEqual(s.failed, []);
  http = new HttpFrontend(s.server, { port: 0, address: '127.0.0.1', maxInputSize: 64 << 20 });
  httpPort = (await http.listen()).port;
  grpc = new GrpcFrontend(s.server, { port: 0, address: '127.0.0.1' });
  client = connect((await grpc.listen()).port);
});

after(async () => {
  client.close();
  await grpc.close();
  await http.close();
  await s.close();
});

const a = Array.from({ length: 16 }, (_, i) => i - 4);
const b = Array.from({ length: 16 }, (_, i) => i * 3);

test('HTTP: ensemble_add_sub answers JSON like any model', async () => {
  const body = JSON.stringify({
    id: 'h1',
    inputs: [
      { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: a },
      { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: b },
    ],
  });
  const res = await request(httpPort, 'POST', '/v2/models/ensemble_add_sub/infer', { body, headers: { 'Content-Type': 'application/json' } });
  assert.equal(res.status, 200, res.text);
  const json = JSON.parse(res.text) as { id: string; model_name: string; outputs: { name: string; shape: number[]; data: number[] }[] };
  assert.equal(json.id, 'h1');
  assert.equal(json.model_name, 'ensemble_add_sub');
  const byName = new Map(json.outputs.map((o) => [o.name, o]));
  assert.deepEqual(byName.get('OUTPUT0')?.data, a.map((x) => 2 * x));
  assert.deepEqual(byName.get('OUTPUT1')?.data, b.map((x) => 2 * x));
  const meta = await request(httpPort, 'GET', '/v2/models/ensemble_add_sub');
  assert.equal((JSON.parse(meta.text) as { platform: string }).platform, 'ensemble');
});

test('gRPC: ensemble_add_sub through ModelInfer', async () => {
  const i32 = (v: number[]) => Buffer.from(new Int32Array(v).buffer);
  const res = await client.call<pb.ModelInferResponse>('ModelInfer', {
    model_name: 'ensemble_add_sub', id: 'g1',
    inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1, 16] }, { name: 'INPUT1', datatype: 'INT32', shape: [1, 16] }],
    raw_input_contents: [i32(a), i32(b)],
  });
  assert.equal(res.id, 'g1');
  const outputs = res.outputs.map((o, i) => [o.name, [...new Int32Array(new Uint8Array(res.raw_output_contents[i]!).slice().buffer)]]);
  assert.deepEqual(Object.fromEntries(outputs), { OUTPUT0: a.map((x) => 2 * x), OUTPUT1: b.map((x) => 2 * x) });
});

test('gRPC stream: a decoupled step makes one ensemble response per element it produces', async () => {
  assert.deepEqual((s.server.modelConfig('rep_ens') as { model_transaction_policy: unknown }).model_transaction_policy, { decoupled: true });
  const stream = client.stream();
  const messages: pb.ModelStreamInferResponse[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (m: pb.ModelStreamInferResponse) => messages.push(m));
    stream.on('error', reject);
    stream.on('end', () => resolve());
    stream.write({
      model_name: 'rep_ens', id: 's1',
      inputs: [{ name: 'IN', datatype: 'INT32', shape: [3] }],
      raw_input_contents: [Buffer.from(new Int32Array([5, 6, 7]).buffer)],
      parameters: { triton_enable_empty_final_response: { bool_param: true } },
    });
    stream.end();
  });
  const summary = messages.map((m) => {
    assert.equal(m.error_message, '');
    const r = m.infer_response!;
    const raw = r.raw_output_contents[0];
    return [r.id, r.model_name, raw === undefined ? null : Buffer.from(raw).readInt32LE(0), r.parameters.triton_final_response?.bool_param];
  });
  assert.deepEqual(summary, [
    ['s1', 'rep_ens', 5, false], ['s1', 'rep_ens', 6, false], ['s1', 'rep_ens', 7, false], ['s1', 'rep_ens', null, true],
  ]);
  const st = s.server.modelStatistics('ident_i32').model_stats[0] as { inference_stats: { success: { count: number } } };
  assert.equal(st.inference_stats.success.count, 3, 'the step after the decoupled one ran once per response');
});

test('gRPC ModelInfer refuses the decoupled ensemble as it refuses any decoupled model', async () => {
  await assert.rejects(
    client.call('ModelInfer', {
      model_name: 'rep_ens', inputs: [{ name: 'IN', datatype: 'INT32', shape: [1] }], raw_input_contents: [Buffer.from(new Int32Array([1]).buffer)],
    }),
    (e: { details?: string }) => /decoupled/.test(e.details ?? ''),
  );
});
