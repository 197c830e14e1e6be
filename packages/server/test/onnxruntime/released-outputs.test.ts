/**
 * Large ONNX outputs are reused once written: a run's fresh output buffer belongs to its one response, so
 * after the frontend has written it (HTTP 'finish', a flushed gRPC write, shared memory filled) it goes to
 * the spare pool, where the next input read of that size takes it; inline runs also give their request's
 * own body back. Reuse must never show a request another's bytes: rounds of concurrent requests with
 * distinct data over HTTP binary, gRPC and system shared memory, through an inline and a pool model, each
 * answered with exactly its own values, then a check that the pool really holds given-back buffers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInferenceServer } from '../../src/create-server.js';
import { spareBuffers, type InferenceServer } from '../../src/core/index.js';
import { HttpFrontend } from '../../src/frontends/http/index.js';
import { GrpcFrontend } from '../../src/frontends/grpc/index.js';
import { request, splitResponse } from '../support/http-harness.js';
import { connect, type TestClient } from '../support/grpc-client.js';
import { makeRepo } from '../support/temp-repo.js';
import { assertSameFloats, floatPattern } from './helpers.js';

const MODEL_FILE = fileURLToPath(new URL('../../../../examples/models/identity_fp32/1/model.onnx', import.meta.url));
const config = (name: string, execution: string): string => [
  `name: "${name}"`, 'platform: "onnxruntime_onnx"', 'max_batch_size: 8',
  'input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ -1 ] } ]',
  'output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ -1 ] } ]',
  `parameters { key: "inferd.execution" value: { string_value: "${execution}" } }`,
].join('\n');

const COUNT = (2 << 20) / 4; // 2 MiB of FP32: above the spare pool's and the release threshold
const BYTES = COUNT * 4;

const pattern = (seed: number, count = COUNT): Float32Array => floatPattern(seed, count);

let server: InferenceServer;
let http: HttpFrontend;
let grpc: GrpcFrontend;
let client: TestClient;
let port: number;
let repo: { dir: string; cleanup(): void };

before(async () => {
  const model = readFileSync(MODEL_FILE);
  repo = makeRepo({
    'inline_id/config.pbtxt': config('inline_id', 'inline'), 'inline_id/1/model.onnx': model,
    'pool_id/config.pbtxt': config('pool_id', 'pool'), 'pool_id/1/model.onnx': model,
  });
  ({ server } = await createInferenceServer({ modelRepository: repo.dir, allowClientShm: true }));
  http = new HttpFrontend(server, { port: 0, address: '127.0.0.1', maxInputSize: 64 << 20 });
  ({ port } = await http.listen());
  grpc = new GrpcFrontend(server, { port: 0, address: '127.0.0.1' });
  client = connect((await grpc.listen()).port);
});
after(async () => {
  client.close();
  await grpc.close();
  await http.close();
  await server.shutdown(1000);
  repo.cleanup();
});

async function overHttp(model: string, seed: number): Promise<void> {
  const want = pattern(seed);
  const header = Buffer.from(JSON.stringify({
    inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, COUNT], parameters: { binary_data_size: BYTES } }],
    outputs: [{ name: 'OUTPUT0', parameters: { binary_data: true } }],
  }));
  const r = await request(port, 'POST', `/v2/models/${model}/infer`, {
    body: Buffer.concat([header, Buffer.from(want.buffer)]), headers: { 'Inference-Header-Content-Length': String(header.length) },
  });
  assert.equal(r.status, 200, r.body.toString().slice(0, 300));
  assertSameFloats(splitResponse(r).binary, want, `HTTP ${model} seed ${seed}`);
}

async function overGrpc(model: string, seed: number): Promise<void> {
  const want = pattern(seed);
  const res = await client.call('ModelInfer', {
    model_name: model, inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, COUNT] }], outputs: [{ name: 'OUTPUT0' }],
    raw_input_contents: [Buffer.from(want.buffer)],
  });
  assertSameFloats(res.raw_output_contents[0], want, `gRPC ${model} seed ${seed}`);
}

async function overShm(model: string, seed: number, region: string, key: string): Promise<void> {
  const want = pattern(seed);
  const file = `/dev/shm${key}`;
  writeFileSync(file, Buffer.concat([Buffer.from(want.buffer), Buffer.alloc(BYTES)]));
  const r = await request(port, 'POST', `/v2/models/${model}/infer`, {
    body: JSON.stringify({
      inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, COUNT], parameters: { shared_memory_region: region, shared_memory_byte_size: BYTES } }],
      outputs: [{ name: 'OUTPUT0', parameters: { shared_memory_region: region, shared_memory_byte_size: BYTES, shared_memory_offset: BYTES } }],
    }),
  });
  assert.equal(r.status, 200, r.body.toString());
  assertSameFloats(readFileSync(file).subarray(BYTES), want, `shm ${model} seed ${seed}`);
}

describe('large ONNX outputs go back to the spare pool once written', () => {
  for (const model of ['inline_id', 'pool_id']) {
    it(`${model}: rounds of concurrent HTTP, gRPC and shm requests each get exactly their own bytes`, async () => {
      const regions: { name: string; key: string }[] = [];
      for (let i = 0; i < 3; i += 1) {
        const key = `/inferd-released-${process.pid}-${model}-${i}`;
        writeFileSync(`/dev/shm${key}`, Buffer.alloc(2 * BYTES));
        const name = `${model}_r${i}`;
        const reg = await request(port, 'POST', `/v2/systemsharedmemory/region/${name}/register`, { body: JSON.stringify({ key, offset: 0, byte_size: 2 * BYTES }) });
        assert.equal(reg.status, 200, reg.body.toString());
        regions.push({ name, key });
      }
      try {
        let seed = model === 'inline_id' ? 1 : 500;
        for (let round = 0; round < 4; round += 1) {
          const calls: Promise<void>[] = [];
          for (let i = 0; i < 3; i += 1) {
            calls.push(overHttp(model, seed++), overGrpc(model, seed++), overShm(model, seed++, regions[i]!.name, regions[i]!.key));
          }
          await Promise.all(calls);
        }
        // The written outputs (and, inline, the bodies) were handed back: the pool holds buffers now, which a
        // run that left them to the GC would not (this checks the release path ran, not only that data is right).
        await new Promise((resolve) => setImmediate(resolve));
        assert.ok(spareBuffers.heldBytes >= BYTES, `spare pool holds ${spareBuffers.heldBytes} bytes`);
      } finally {
        for (const { name, key } of regions) {
          await request(port, 'POST', `/v2/systemsharedmemory/region/${name}/unregister`, { body: '{}' });
          rmSync(`/dev/shm${key}`, { force: true });
        }
      }
    });
  }

  for (const model of ['inline_id', 'pool_id']) {
    it(`${model}: after HTTP binary replies, a buffer of exactly the output's size is in the spare pool`, async () => {
      // Bodies are header + tensor bytes, so only a given-back output has exactly BYTES.
      spareBuffers.clear();
      await overHttp(model, 7);
      await overHttp(model, 8);
      let spare: ArrayBuffer | undefined;
      for (let i = 0; i < 100 && spare === undefined; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        spare = spareBuffers.take(BYTES);
      }
      assert.ok(spare !== undefined, 'no written output came back to the spare pool');
      spareBuffers.give(spare);
    });
  }
});
