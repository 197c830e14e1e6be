/**
 * The built-in identity backend's Triton behaviours: `execute_delay_ms` (and the instance-wise
 * multiplier) holding an execution, client timeouts against such a delayed model over gRPC and HTTP
 * (Triton's L0_client_timeout: DEADLINE_EXCEEDED / a timed-out HTTP client, and the server keeps
 * serving), and zeros for optional inputs a request leaves out (L0_optional_input).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { createInferenceServer } from '../../src/create-server.js';
import type { InferenceServer } from '../../src/core/index.js';
import { GrpcFrontend } from '../../src/frontends/grpc/index.js';
import { HttpFrontend } from '../../src/frontends/http/index.js';
import { connect } from '../support/grpc-client.js';
import { fp32, makeRepo, readFp32, type RepoFiles } from '../support/temp-repo.js';

function delayed(ms: number, extra = ''): string {
  return [
    'backend: "identity"', 'max_batch_size: 0',
    'input [ { name: "INPUT0" data_type: TYPE_INT32 dims: [ 1 ] } ]',
    'output [ { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 1 ] } ]',
    `parameters [ { key: "execute_delay_ms" value: { string_value: "${ms}" } } ]`, extra,
  ].join('\n');
}

async function withServer(files: RepoFiles, body: (server: InferenceServer) => Promise<void>, exitOnError = true): Promise<void> {
  const repo = makeRepo(files);
  const { server } = await createInferenceServer({ modelRepository: repo.dir, exitOnError });
  try {
    await body(server);
  } finally {
    await server.shutdown(5000);
    repo.cleanup();
  }
}

const int32 = (v: number): Uint8Array => new Uint8Array(new Int32Array([v]).buffer);
const inferInt = (server: InferenceServer, model: string, v: number) =>
  server.infer({ modelName: model, inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1], data: int32(v) }] });

async function timed<T>(p: Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await p;
  return [v, performance.now() - t0];
}

test('execute_delay_ms: every execution sleeps that long; one instance runs them one after another', async () => {
  await withServer({ 'slow/config.pbtxt': delayed(300), 'slow/1/': null }, async (server) => {
    const [[a, ta], [b, tb]] = await Promise.all([timed(inferInt(server, 'slow', 7)), timed(inferInt(server, 'slow', 8))]);
    assert.deepEqual([...new Int32Array(a.outputs[0]!.data.slice().buffer)], [7]);
    assert.deepEqual([...new Int32Array(b.outputs[0]!.data.slice().buffer)], [8]);
    const [first, second] = [ta, tb].sort((x, y) => x - y);
    assert.ok(first! >= 290, `first took ${first} ms`);
    assert.ok(second! >= 590, `second waited for the first: ${second} ms`);
  });
});

test('instance_wise_delay_multiplier: instance k sleeps delay * max(multiplier * k, 1)', async () => {
  const config = delayed(250, [
    'instance_group [ { count: 2 kind: KIND_CPU } ]',
  ].join('\n')).replace(
    'parameters [ ', 'parameters [ { key: "instance_wise_delay_multiplier" value: { string_value: "3" } }, ',
  );
  await withServer({ 'slow/config.pbtxt': config, 'slow/1/': null }, async (server) => {
    const times = (await Promise.all([timed(inferInt(server, 'slow', 1)), timed(inferInt(server, 'slow', 2))])).map(([, t]) => t);
    times.sort((x, y) => x - y);
    // Instance 0: 250 ms; instance 1: 250 * 3 = 750 ms (both start at once).
    assert.ok(times[0]! >= 240 && times[0]! < 700, `instance 0 took ${times[0]} ms`);
    assert.ok(times[1]! >= 740, `instance 1 took ${times[1]} ms`);
  });
});

test('a non-integer execute_delay_ms keeps the model from loading', async () => {
  await withServer({ 'bad/config.pbtxt': delayed(0).replace('"0"', '"soon"'), 'bad/1/': null }, async (server) => {
    const entry = server.repositoryIndex().find((e) => e.name === 'bad');
    assert.equal(entry?.state, 'UNAVAILABLE');
    assert.match(entry?.reason ?? '', /execute_delay_ms/);
  }, false);
});

test('gRPC: a deadline shorter than the delay gives DEADLINE_EXCEEDED; the instance is freed and the server keeps serving', async () => {
  await withServer({ 'slow/config.pbtxt': delayed(1500), 'slow/1/': null }, async (server) => {
    const frontend = new GrpcFrontend(server, { port: 0, address: '127.0.0.1' });
    const { port } = await frontend.listen();
    const client = connect(port);
    try {
      const req = { model_name: 'slow', inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1] }], raw_input_contents: [Buffer.from(int32(5))] };
      const t0 = performance.now();
      const err = await new Promise<ServiceError>((resolve, reject) => {
        (client.inference as unknown as { ModelInfer: Function }).ModelInfer(
          req, new Metadata(), { deadline: Date.now() + 200 },
          (e: ServiceError | null) => (e ? resolve(e) : reject(new Error('expected a deadline error'))),
        );
      });
      assert.equal(err.code, status.DEADLINE_EXCEEDED);
      assert.ok(performance.now() - t0 < 1000, 'the client gave up at its deadline');
      // The cancelled execution stops sleeping, so the next request needs one delay, not two.
      const [res, took] = await timed(client.call('ModelInfer', req));
      assert.deepEqual([...new Int32Array(new Uint8Array(res.raw_output_contents[0]).buffer)], [5]);
      assert.ok(took >= 1400 && took < 2600, `the next request took ${took} ms`);
    } finally {
      client.close();
      await frontend.close();
    }
  });
});

test('HTTP: a client timeout shorter than the delay fails on the client; the server keeps serving', async () => {
  await withServer({ 'slow/config.pbtxt': delayed(1000), 'slow/1/': null }, async (server) => {
    const frontend = new HttpFrontend(server, { port: 0, address: '127.0.0.1' });
    const { port } = await frontend.listen();
    const body = JSON.stringify({ inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1], data: [9] }] });
    const post = (timeoutMs?: number) => new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1', port, method: 'POST', path: '/v2/models/slow/infer', agent: false,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      });
      if (timeoutMs !== undefined) req.setTimeout(timeoutMs, () => req.destroy(new Error('Deadline Exceeded')));
      req.on('error', reject);
      req.end(body);
    });
    try {
      await assert.rejects(post(200), /Deadline Exceeded/);
      const ok = await post();
      assert.equal(ok.status, 200);
      assert.deepEqual(JSON.parse(ok.text).outputs[0].data, [9]);
    } finally {
      await frontend.close();
    }
  });
});

const OPTIONAL_PAIR = [
  'backend: "identity"', 'max_batch_size: 4',
  'input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 1 ] optional: true },',
  '        { name: "INPUT1" data_type: TYPE_FP32 dims: [ -1, 2 ] optional: true } ]',
  'output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 1 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ -1, 2 ] } ]',
].join('\n');

const OPTIONAL_NOBATCH = [
  'backend: "identity"', 'max_batch_size: 0',
  'input [ { name: "INPUT0" data_type: TYPE_INT32 dims: [ 1 ] },',
  '        { name: "INPUT1" data_type: TYPE_STRING dims: [ 3, -1 ] optional: true },',
  '        { name: "INPUT2" data_type: TYPE_INT64 dims: [ 4 ] reshape: { shape: [ 2, 2 ] } optional: true } ]',
  'output [ { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 1 ] }, { name: "OUTPUT1" data_type: TYPE_STRING dims: [ 3, -1 ] },',
  '         { name: "OUTPUT2" data_type: TYPE_INT64 dims: [ 4 ] reshape: { shape: [ 2, 2 ] } } ]',
].join('\n');

test('optional inputs left out: their outputs are zeros of the config dims (-1 as 1) after the batch dim', async () => {
  await withServer({
    'pair/config.pbtxt': OPTIONAL_PAIR, 'pair/1/': null, 'nobatch/config.pbtxt': OPTIONAL_NOBATCH, 'nobatch/1/': null,
  }, async (server) => {
    const onlyFirst = await server.infer({
      modelName: 'pair', inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [3, 1], data: fp32([1, 2, 3]) }],
    });
    assert.deepEqual(onlyFirst.outputs.map((o) => [o.name, o.datatype, o.shape]), [['OUTPUT0', 'FP32', [3, 1]], ['OUTPUT1', 'FP32', [3, 1, 2]]]);
    assert.deepEqual(readFp32(onlyFirst.outputs[0]!.data), [1, 2, 3]);
    assert.deepEqual(readFp32(onlyFirst.outputs[1]!.data), [0, 0, 0, 0, 0, 0]);

    const onlySecond = await server.infer({
      modelName: 'pair', inputs: [{ name: 'INPUT1', datatype: 'FP32', shape: [1, 1, 2], data: fp32([5, 6]) }],
      outputs: [{ name: 'OUTPUT0' }],
    });
    assert.deepEqual(onlySecond.outputs.map((o) => [o.name, o.shape, readFp32(o.data)]), [['OUTPUT0', [1, 1], [0]]]);

    const noBatch = await server.infer({
      modelName: 'nobatch', inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1], data: int32(4) }],
    });
    assert.deepEqual(noBatch.outputs.map((o) => [o.name, o.datatype, o.shape, o.data.byteLength]), [
      ['OUTPUT0', 'INT32', [1], 4],
      ['OUTPUT1', 'BYTES', [3, 1], 12],
      ['OUTPUT2', 'INT64', [2, 2], 32],
    ]);
    assert.ok(noBatch.outputs.slice(1).every((o) => o.data.every((b) => b === 0)));
  });
});
