/**
 * The stateful examples end to end: `accumulator` and the real Silero VAD served from a copy of their
 * example directories by createInferenceServer, driven in-process, over HTTP and over gRPC (unary and
 * ModelStreamInfer) with sequence ids. The sequence batcher supplies START and carries the implicit state;
 * the ONNX backend feeds and fetches it.
 * VAD probabilities are compared with the same ONNX file run directly, h/c carried by hand.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { pb } from '@inferd/protocol';
import { createInferenceServer, GrpcFrontend, HttpFrontend, type InferenceServer } from '../../src/index.js';
import type { Tensor } from '../../src/core/index.js';
import { REQUEST_FLAG_SEQUENCE_END, REQUEST_FLAG_SEQUENCE_START } from '../../src/core/request.js';
import { connect, type TestClient } from '../support/grpc-client.js';
import { makeRepo } from '../support/temp-repo.js';
import { CHUNK, SAMPLE_RATE, VAD_FILE, referenceVad, synthesizeAudio, type VadStep } from './vad-reference.js';

const examples = fileURLToPath(new URL('../../../../examples/models/', import.meta.url));
const file = (path: string): Buffer => readFileSync(join(examples, path));

let server: InferenceServer;
let frontend: HttpFrontend;
let grpcFrontend: GrpcFrontend;
let grpc: TestClient;
let port: number;
let repo: ReturnType<typeof makeRepo>;

before(async () => {
  repo = makeRepo({
    'accumulator/config.pbtxt': file('accumulator/config.pbtxt'),
    'accumulator/1/model.onnx': file('accumulator/1/model.onnx'),
    'silero_vad/config.pbtxt': file('silero_vad/config.pbtxt'),
    'silero_vad/1/model.onnx': readFileSync(VAD_FILE),
  });
  ({ server } = await createInferenceServer({ modelRepository: repo.dir }));
  frontend = new HttpFrontend(server, { port: 0, address: '127.0.0.1', maxInputSize: 16 << 20 });
  ({ port } = await frontend.listen());
  grpcFrontend = new GrpcFrontend(server, { port: 0, address: '127.0.0.1' });
  grpc = connect((await grpcFrontend.listen()).port);
});

after(async () => {
  grpc.close();
  await grpcFrontend.close();
  await frontend.close();
  await server.shutdown();
  repo.cleanup();
});

function postJson(path: string, body: unknown): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path, headers: { 'content-type': 'application/json' } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(parts).toString()) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

const flagsOf = (i: number, n: number): number =>
  (i === 0 ? REQUEST_FLAG_SEQUENCE_START : 0) | (i === n - 1 ? REQUEST_FLAG_SEQUENCE_END : 0);

/** One accumulator step in-process; returns OUTPUT and the output names the client saw. */
async function accumulate(id: bigint, value: number, flags: number): Promise<{ sum: number; names: string[] }> {
  const r = await server.infer({
    modelName: 'accumulator', correlationId: id, flags,
    inputs: [{ name: 'INPUT', datatype: 'INT32', shape: [1, 1], data: new Uint8Array(Int32Array.from([value]).buffer) }],
  });
  const out = r.outputs.find((o) => o.name === 'OUTPUT')!;
  return { sum: new Int32Array(out.data.slice().buffer)[0]!, names: r.outputs.map((o) => o.name) };
}

const runningSums = (values: readonly number[]): number[] => {
  let s = 0;
  return values.map((v) => (s += v));
};

test('accumulator in-process: a sequence of 4 values gives running sums; the state never reaches the client', async () => {
  const values = [10, 20, 30, 40];
  const got: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const { sum, names } = await accumulate(101n, values[i]!, flagsOf(i, values.length));
    assert.deepEqual(names, ['OUTPUT']);
    got.push(sum);
  }
  assert.deepEqual(got, [10, 30, 60, 100]);
  // The same id again starts from zero (START resets the state).
  assert.equal((await accumulate(101n, 7, REQUEST_FLAG_SEQUENCE_START | REQUEST_FLAG_SEQUENCE_END)).sum, 7);
});

test('accumulator in-process: two interleaved sequences are independent (in turn and concurrently)', async () => {
  const a = [1, 2, 3, 4, 5];
  const b = [100, -50, 7, 0, 1000];
  const gotA: number[] = [];
  const gotB: number[] = [];
  for (let i = 0; i < a.length; i++) {
    gotA.push((await accumulate(201n, a[i]!, flagsOf(i, a.length))).sum);
    gotB.push((await accumulate(202n, b[i]!, flagsOf(i, b.length))).sum);
  }
  assert.deepEqual(gotA, runningSums(a));
  assert.deepEqual(gotB, runningSums(b));
  // Each step of both sequences in flight at once (a batcher may put them in one batch).
  const c = [3, 3, 3, 3];
  const d = [-1, -2, -3, -4];
  const gotC: number[] = [];
  const gotD: number[] = [];
  for (let i = 0; i < c.length; i++) {
    const [x, y] = await Promise.all([accumulate(301n, c[i]!, flagsOf(i, c.length)), accumulate(302n, d[i]!, flagsOf(i, d.length))]);
    gotC.push(x.sum);
    gotD.push(y.sum);
  }
  assert.deepEqual(gotC, runningSums(c));
  assert.deepEqual(gotD, runningSums(d));
});

test('accumulator over HTTP: sequence_id/sequence_start/sequence_end parameters, string ids too', async () => {
  for (const id of [7, 'stream-a'] as const) {
    const values = [5, 6, 7, 8];
    const got: number[] = [];
    for (let i = 0; i < values.length; i++) {
      const res = await postJson('/v2/models/accumulator/infer', {
        parameters: { sequence_id: id, sequence_start: i === 0, sequence_end: i === values.length - 1 },
        inputs: [{ name: 'INPUT', shape: [1, 1], datatype: 'INT32', data: [values[i]] }],
      });
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.deepEqual(res.json.outputs.map((o: { name: string }) => o.name), ['OUTPUT']);
      got.push(res.json.outputs[0].data[0]);
    }
    assert.deepEqual(got, [5, 11, 18, 26]);
  }
  // A client sending the state input itself is refused by core validation.
  const res = await postJson('/v2/models/accumulator/infer', {
    parameters: { sequence_id: 9, sequence_start: true },
    inputs: [{ name: 'INPUT', shape: [1, 1], datatype: 'INT32', data: [1] }, { name: 'ACC_IN', shape: [1, 1], datatype: 'INT32', data: [1] }],
  });
  assert.equal(res.status, 400);
  assert.equal(res.json.error, "unexpected inference input 'ACC_IN' for model 'accumulator'");
});

function assertClose(got: number, want: VadStep, i: number): void {
  assert.ok(got >= 0 && got <= 1, `chunk ${i}: ${got} is a probability`);
  assert.ok(Math.abs(got - want.probability) <= 1e-5, `chunk ${i}: server ${got}, direct ${want.probability}`);
}

test('silero_vad over HTTP: 20 chunks of one sequence, every probability as the model run directly (1e-5)', async () => {
  const chunks = synthesizeAudio(20, 8);
  const reference = await referenceVad(chunks);
  // Silence then the voiced-like signal: the model's own verdict flips (so the state is exercised on real data).
  assert.ok(reference[3]!.probability < 0.1 && reference[19]!.probability > 0.9);
  for (let i = 0; i < chunks.length; i++) {
    const res = await postJson('/v2/models/silero_vad/infer', {
      parameters: { sequence_id: 4242, sequence_start: i === 0, sequence_end: i === chunks.length - 1 },
      inputs: [
        { name: 'input', shape: [1, CHUNK], datatype: 'FP32', data: [...chunks[i]!] },
        { name: 'sr', shape: [1], datatype: 'INT64', data: [SAMPLE_RATE] },
      ],
    });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.deepEqual(res.json.outputs.map((o: { name: string; shape: number[] }) => [o.name, o.shape]), [['output', [1, 1]]]);
    assertClose(res.json.outputs[0].data[0], reference[i]!, i);
  }
});

test('silero_vad in-process: two interleaved streams keep separate h/c', async () => {
  const speech = synthesizeAudio(12, 2);
  const quiet = synthesizeAudio(12, 12);
  const [refSpeech, refQuiet] = [await referenceVad(speech), await referenceVad(quiet)];
  const sr: Tensor = { name: 'sr', datatype: 'INT64', shape: [1], data: new Uint8Array(BigInt64Array.from([BigInt(SAMPLE_RATE)]).buffer) };
  const step = async (id: string, chunk: Float32Array, flags: number): Promise<number> => {
    const r = await server.infer({
      modelName: 'silero_vad', correlationId: id, flags,
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, CHUNK], data: new Uint8Array(chunk.slice().buffer) }, sr],
    });
    return new Float32Array(r.outputs[0]!.data.slice().buffer)[0]!;
  };
  for (let i = 0; i < speech.length; i++) {
    const flags = flagsOf(i, speech.length);
    const [p, q] = await Promise.all([step('speech', speech[i]!, flags), step('quiet', quiet[i]!, flags)]);
    assertClose(p, refSpeech[i]!, i);
    assertClose(q, refQuiet[i]!, i);
  }
});

test('accumulator over gRPC ModelInfer: sequence_id (int64 and string) with start/end as bool parameters', async () => {
  for (const id of [{ int64_param: 77 }, { string_param: 'grpc-seq' }] as const) {
    const values = [2, 4, 6];
    const got: number[] = [];
    for (let i = 0; i < values.length; i++) {
      const res = await grpc.call<pb.ModelInferResponse>('ModelInfer', {
        model_name: 'accumulator',
        parameters: { sequence_id: id, sequence_start: { bool_param: i === 0 }, sequence_end: { bool_param: i === values.length - 1 } },
        inputs: [{ name: 'INPUT', datatype: 'INT32', shape: [1, 1] }],
        raw_input_contents: [Buffer.from(Int32Array.from([values[i]!]).buffer)],
      });
      assert.deepEqual(res.outputs.map((o) => o.name), ['OUTPUT']);
      got.push(res.raw_output_contents[0]!.readInt32LE(0));
    }
    assert.deepEqual(got, [2, 6, 12]);
  }
});

test('silero_vad over gRPC ModelStreamInfer: 20 chunks written at once are answered in order with the carried state', async () => {
  const chunks = synthesizeAudio(20, 6);
  const reference = await referenceVad(chunks);
  const stream = grpc.stream();
  const messages: pb.ModelStreamInferResponse[] = [];
  const done = new Promise<void>((resolve, reject) => {
    stream.on('data', (m: pb.ModelStreamInferResponse) => messages.push(m));
    stream.on('error', reject);
    stream.on('end', () => resolve());
  });
  const sr = Buffer.from(BigInt64Array.from([BigInt(SAMPLE_RATE)]).buffer);
  for (let i = 0; i < chunks.length; i++) {
    stream.write({
      model_name: 'silero_vad', id: `chunk-${i}`,
      parameters: { sequence_id: { int64_param: 9001 }, sequence_start: { bool_param: i === 0 }, sequence_end: { bool_param: i === chunks.length - 1 } },
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, CHUNK] }, { name: 'sr', datatype: 'INT64', shape: [1] }],
      raw_input_contents: [Buffer.from(chunks[i]!.buffer), sr],
    });
  }
  stream.end();
  await done;
  assert.equal(messages.length, chunks.length);
  messages.forEach((m, i) => {
    assert.equal(m.error_message, '');
    const r = m.infer_response!;
    assert.equal(r.id, `chunk-${i}`);
    assertClose(r.raw_output_contents[0]!.readFloatLE(0), reference[i]!, i);
  });
});
