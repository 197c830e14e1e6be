/**
 * The README's promise, end to end: `inferd serve` on examples/models, driven over real HTTP the way
 * tritonclient drives Triton, with exact values.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBytesElements, encodeBytesElements } from '@inferd/protocol';
import { readFileSync } from 'node:fs';
import { repoRoot, startServe, type CliRun } from '../support/spawn-cli.js';
import { connect } from '../support/grpc-client.js';

let server: CliRun & { url: string; grpcPort: number };

before(async () => {
  server = await startServe(['--model-repository', 'examples/models']);
});

after(async () => {
  server.child.kill('SIGTERM');
  await server.exited;
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
    headers,
  });
}

/** Splits a binary-extension response into its JSON header and the blob of each binary output. */
async function binaryReply(res: Response): Promise<{ header: any; blobs: Map<string, Uint8Array> }> {
  const buf = new Uint8Array(await res.arrayBuffer());
  const len = Number(res.headers.get('inference-header-content-length'));
  const header = JSON.parse(Buffer.from(buf.subarray(0, len)).toString());
  const blobs = new Map<string, Uint8Array>();
  let off = len;
  for (const o of header.outputs) {
    const size = o.parameters?.binary_data_size;
    if (size === undefined) continue;
    blobs.set(o.name, buf.subarray(off, off + size));
    off += size;
  }
  assert.equal(off, buf.length, 'no bytes left over');
  return { header, blobs };
}

const range = (n: number, f: (i: number) => number): number[] => Array.from({ length: n }, (_, i) => f(i));

test('health, server metadata and every example model READY', async () => {
  assert.equal((await fetch(`${server.url}/v2/health/live`)).status, 200);
  assert.equal((await fetch(`${server.url}/v2/health/ready`)).status, 200);
  const meta = await (await fetch(`${server.url}/v2`)).json() as any;
  assert.equal(meta.name, 'triton');
  // what Triton clients compare stays Triton's; inferd's own release is an extra field and a start-up line
  const ours = JSON.parse(readFileSync(`${repoRoot}/packages/server/package.json`, 'utf8')).version;
  assert.equal(meta.inferd_version, ours);
  assert.match(meta.version, /^2\.\d+\.\d+/);
  assert.match(server.stderr(), new RegExp(`inferd ${ours.replace(/\./g, '\\.')} \\(server_id triton, server_version 2\\.`));
  assert.ok(meta.extensions.includes('binary_tensor_data'));
  const index = await (await post('/v2/repository/index', '')).json() as any;
  const names = index.map((e: { name: string; state: string }) => `${e.name}:${e.state}`);
  for (const m of ['autocomplete', 'classifier', 'identity_fp32', 'nobatch', 'simple', 'strings', 'text_direction']) {
    assert.ok(names.includes(`${m}:READY`), `${m} READY in ${names.join(' ')}`);
  }
});

test('simple: metadata with the -1 batch dim, and INPUT0±INPUT1 over JSON', async () => {
  const meta = await (await fetch(`${server.url}/v2/models/simple`)).json() as any;
  assert.deepEqual(meta, {
    name: 'simple', versions: ['1'], platform: 'onnxruntime_onnx',
    inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [-1, 16] }, { name: 'INPUT1', datatype: 'INT32', shape: [-1, 16] }],
    outputs: [{ name: 'OUTPUT0', datatype: 'INT32', shape: [-1, 16] }, { name: 'OUTPUT1', datatype: 'INT32', shape: [-1, 16] }],
  });
  const a = range(16, (i) => i);
  const b = range(16, (i) => 100 - 3 * i);
  const res = await post('/v2/models/simple/infer', {
    id: 'req-7',
    inputs: [
      { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: a },
      { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: [b] },
    ],
  });
  assert.equal(res.status, 200);
  const body = await res.json() as any;
  assert.equal(body.id, 'req-7');
  assert.equal(body.model_name, 'simple');
  assert.equal(body.model_version, '1');
  const out = new Map(body.outputs.map((o: { name: string }) => [o.name, o]));
  assert.deepEqual(out.get('OUTPUT0'), { name: 'OUTPUT0', datatype: 'INT32', shape: [1, 16], data: a.map((x, i) => x + b[i]!) });
  assert.deepEqual(out.get('OUTPUT1'), { name: 'OUTPUT1', datatype: 'INT32', shape: [1, 16], data: a.map((x, i) => x - b[i]!) });
});

test('simple: binary inputs and outputs, batch of 3', async () => {
  const a = new Int32Array(range(48, (i) => i * 7 - 50));
  const b = new Int32Array(range(48, (i) => 1000 - i));
  const header = Buffer.from(JSON.stringify({
    inputs: [
      { name: 'INPUT0', shape: [3, 16], datatype: 'INT32', parameters: { binary_data_size: a.byteLength } },
      { name: 'INPUT1', shape: [3, 16], datatype: 'INT32', parameters: { binary_data_size: b.byteLength } },
    ],
    parameters: { binary_data_output: true },
  }));
  const res = await post('/v2/models/simple/infer', Buffer.concat([header, Buffer.from(a.buffer), Buffer.from(b.buffer)]), {
    'Inference-Header-Content-Length': String(header.length),
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/octet-stream');
  const { header: h, blobs } = await binaryReply(res);
  assert.deepEqual(h.outputs.map((o: { shape: number[] }) => o.shape), [[3, 16], [3, 16]]);
  const sum = new Int32Array(blobs.get('OUTPUT0')!.slice().buffer);
  const diff = new Int32Array(blobs.get('OUTPUT1')!.slice().buffer);
  assert.deepEqual([...sum], [...a].map((x, i) => x + b[i]!));
  assert.deepEqual([...diff], [...a].map((x, i) => x - b[i]!));
});

test('strings: BYTES over JSON and binary, including non-ASCII text', async () => {
  const words = ['inferd', '推理服务器', ''];
  const res = await post('/v2/models/strings/infer', { inputs: [{ name: 'INPUT0', shape: [1, 3], datatype: 'BYTES', data: words }] });
  assert.equal(res.status, 200);
  assert.deepEqual((await res.json() as any).outputs[0].data, words);
  const blob = encodeBytesElements(words);
  const header = Buffer.from(JSON.stringify({
    inputs: [{ name: 'INPUT0', shape: [1, 3], datatype: 'BYTES', parameters: { binary_data_size: blob.byteLength } }],
    outputs: [{ name: 'OUTPUT0', parameters: { binary_data: true } }],
  }));
  const bin = await post('/v2/models/strings/infer', Buffer.concat([header, blob]), { 'Inference-Header-Content-Length': String(header.length) });
  const { blobs } = await binaryReply(bin);
  assert.deepEqual(decodeBytesElements(blobs.get('OUTPUT0')!).map((x) => Buffer.from(x).toString()), words);
});

test('classifier: top-k "score:index:label" strings with labels.txt', async () => {
  const res = await post('/v2/models/classifier/infer', {
    inputs: [{ name: 'INPUT0', shape: [2, 4], datatype: 'FP32', data: [[0, 0, 0, 0], [1, 3, 2, 0]] }],
    outputs: [{ name: 'OUTPUT0', parameters: { classification: 2 } }],
  });
  assert.equal(res.status, 200);
  const out = (await res.json() as any).outputs[0];
  assert.equal(out.datatype, 'BYTES');
  assert.deepEqual(out.shape, [2, 2]);
  // softmax of [1,3,2,0]: e^3/(e^0+e^1+e^2+e^3) = 0.643914..., e^2/... = 0.236883...
  const [first, second] = out.data.slice(2);
  assert.match(first, /^0\.64391\d:1:\w+$/);
  assert.match(second, /^0\.23688\d:2:\w+$/);
  assert.match(out.data[0], /^0\.250000:0:\w+$/);
});

test('nobatch: max_batch_size 0 keeps the config dims as the full shape', async () => {
  const meta = await (await fetch(`${server.url}/v2/models/nobatch`)).json() as any;
  assert.deepEqual(meta.inputs[0].shape, [2, 3]);
  const res = await post('/v2/models/nobatch/infer', { inputs: [{ name: 'INPUT0', shape: [2, 3], datatype: 'FP32', data: [1, 2, 3, 4, 5, 6.5] }] });
  assert.deepEqual((await res.json() as any).outputs[0].data, [2, 4, 6, 8, 10, 13]);
});

test('autocomplete: a config-less ONNX model gets Triton\'s completed config', async () => {
  const cfg = await (await fetch(`${server.url}/v2/models/autocomplete/config`)).json() as any;
  assert.equal(cfg.name, 'autocomplete');
  assert.equal(cfg.platform, 'onnxruntime_onnx');
  assert.equal(cfg.backend, 'onnxruntime');
  assert.equal(cfg.max_batch_size, 4);
  assert.deepEqual(cfg.dynamic_batching.preferred_batch_size, [4]);
  assert.equal(cfg.default_model_filename, 'model.onnx');
  assert.deepEqual(cfg.instance_group.map((g: { kind: string; count: number }) => [g.kind, g.count]), [['KIND_CPU', 2]]);
  assert.ok(cfg.input.length > 0 && cfg.output.length > 0);
  for (const t of [...cfg.input, ...cfg.output]) assert.equal(t.dims.includes(0), false);
});

test('text_direction: the real PaddleOCR classifier returns a distribution and labelled top-1', async () => {
  const pixels = new Float32Array(3 * 48 * 192).map((_, i) => Math.sin(i / 97) * 0.5);
  const header = Buffer.from(JSON.stringify({
    inputs: [{ name: 'x', shape: [1, 3, 48, 192], datatype: 'FP32', parameters: { binary_data_size: pixels.byteLength } }],
    outputs: [{ name: 'softmax_0.tmp_0', parameters: { binary_data: true } }, { name: 'softmax_0.tmp_0' }],
  }));
  const body = Buffer.concat([header, Buffer.from(pixels.buffer)]);
  const res = await post('/v2/models/text_direction/infer', body, { 'Inference-Header-Content-Length': String(header.length) });
  assert.equal(res.status, 400, 'the same output twice is refused');
  const header2 = Buffer.from(JSON.stringify({
    inputs: [{ name: 'x', shape: [1, 3, 48, 192], datatype: 'FP32', parameters: { binary_data_size: pixels.byteLength } }],
  }));
  const ok = await post('/v2/models/text_direction/infer', Buffer.concat([header2, Buffer.from(pixels.buffer)]), {
    'Inference-Header-Content-Length': String(header2.length),
  });
  assert.equal(ok.status, 200);
  const probs: number[] = (await ok.json() as any).outputs[0].data;
  assert.equal(probs.length, 2);
  assert.ok(Math.abs(probs[0]! + probs[1]! - 1) < 1e-5, `softmax sums to 1: ${probs}`);
  const cls = await post('/v2/models/text_direction/infer', Buffer.concat([
    Buffer.from(JSON.stringify({
      inputs: [{ name: 'x', shape: [1, 3, 48, 192], datatype: 'FP32', parameters: { binary_data_size: pixels.byteLength } }],
      outputs: [{ name: 'softmax_0.tmp_0', parameters: { classification: 1 } }],
    }).padEnd(400, ' ')),
    Buffer.from(pixels.buffer),
  ]), { 'Inference-Header-Content-Length': '400' });
  const top = (await cls.json() as any).outputs[0].data[0] as string;
  const best = probs[0]! >= probs[1]! ? 0 : 1;
  assert.equal(top, `${probs[best]!.toFixed(6)}:${best}:${best === 0 ? '0_degree' : '180_degree'}`);
});

test('errors come back in Triton\'s format and the server keeps serving', async () => {
  const unknown = await fetch(`${server.url}/v2/models/nope`);
  assert.equal(unknown.status, 404);
  assert.deepEqual(await unknown.json(), { error: "Request for unknown model: 'nope' is not found" });
  const wrongType = await post('/v2/models/simple/infer', {
    inputs: [
      { name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: range(16, () => 1) },
      { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: range(16, () => 1) },
    ],
  });
  assert.equal(wrongType.status, 400);
  assert.deepEqual(await wrongType.json(), { error: "inference input 'INPUT0' data-type is 'FP32', but model 'simple' expects 'INT32'" });
  assert.equal((await fetch(`${server.url}/v2/health/ready`)).status, 200);
});

test('gRPC on the same server: health, metadata and simple over raw contents', async () => {
  const client = connect(server.grpcPort);
  try {
    assert.equal((await client.checkHealth()).status, 'SERVING');
    assert.deepEqual(await client.call('ServerLive', {}), { live: true });
    const meta = await client.call('ModelMetadata', { name: 'simple', version: '' });
    assert.equal(meta.platform, 'onnxruntime_onnx');
    const a = new Int32Array(range(16, (i) => i));
    const b = new Int32Array(range(16, (i) => 2 * i + 1));
    const res = await client.call('ModelInfer', {
      model_name: 'simple',
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [1, 16] },
        { name: 'INPUT1', datatype: 'INT32', shape: [1, 16] },
      ],
      raw_input_contents: [Buffer.from(a.buffer), Buffer.from(b.buffer)],
    });
    assert.deepEqual(res.outputs.map((o: { name: string }) => o.name), ['OUTPUT0', 'OUTPUT1']);
    const sum = new Int32Array(Uint8Array.from(res.raw_output_contents[0]).buffer);
    assert.deepEqual([...sum], [...a].map((x, i) => x + b[i]!));
  } finally {
    client.close();
  }
});

test('SIGTERM drains and exits 0', async () => {
  server.child.kill('SIGTERM');
  assert.equal(await server.exited, 0);
  assert.match(server.stderr(), /received SIGTERM, shutting down/);
  assert.match(server.stderr(), /stopped/);
});
