/**
 * Large ModelInfer messages over a real gRPC connection, through the server's own receive assembly
 * and in-place reply framing (frame-interceptor.ts): a 64 MiB tensor comes back byte for byte from the
 * JS identity backend and from ONNX Runtime (worker thread), a small request sent while the large one
 * is in flight keeps its own data, and one stream carries several large messages in a row. Memory is
 * measured in bench/grpc-memory, not here.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { pb } from '@inferd/protocol';
import { startGrpc, type GrpcHarness } from '../support/grpc-repo.js';

const examples = fileURLToPath(new URL('../../../../examples/models', import.meta.url));
let h: GrpcHarness;

before(async () => {
  h = await startGrpc([examples]);
});
after(async () => {
  await h.close();
});

const MiB = 1024 * 1024;

/** FP32 bytes that differ at every position, so a shifted or torn copy cannot compare equal. */
function pattern(bytes: number, seed: number): Buffer {
  const values = new Uint32Array(bytes / 4);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < values.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    // Exponent bits cleared: no NaN patterns that ONNX Runtime could canonicalize.
    values[i] = (x >>> 0) & 0x807fffff;
  }
  return Buffer.from(values.buffer);
}

function infer(model: string, data: Buffer, id = ''): pb.ModelInferRequestInit {
  return {
    model_name: model, id, inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, data.length / 4] }],
    outputs: [{ name: 'OUTPUT0' }], raw_input_contents: [data],
  };
}

function assertEcho(res: pb.ModelInferResponse, data: Buffer, id = ''): void {
  assert.equal(res.id, id);
  assert.deepEqual(res.outputs.map((o) => [o.name, o.datatype, o.shape]), [['OUTPUT0', 'FP32', ['1', String(data.length / 4)]]]);
  assert.equal(res.raw_output_contents.length, 1);
  const out = res.raw_output_contents[0]!;
  assert.equal(out.length, data.length);
  assert.ok(out.equals(data), 'the reply carries the request bytes exactly');
}

for (const model of ['echo_fp32', 'identity_fp32']) {
  test(`${model}: a 64 MiB tensor comes back exact, and a small request sent meanwhile keeps its own data`, async () => {
    const large = pattern(64 * MiB, 7);
    const small = pattern(4096, 11);
    const big = h.client.call<pb.ModelInferResponse>('ModelInfer', infer(model, large, 'large'));
    const little = h.client.call<pb.ModelInferResponse>('ModelInfer', infer(model, small, 'small'));
    const [bigRes, littleRes] = await Promise.all([big, little]);
    assertEcho(bigRes, large, 'large');
    assertEcho(littleRes, small, 'small');
    // The same server answers again afterwards: nothing of the large call is left in its way.
    assertEcho(await h.client.call<pb.ModelInferResponse>('ModelInfer', infer(model, small, 'again')), small, 'again');
  });
}

test('ModelStreamInfer: several large messages on one stream, each answered with its own bytes', async () => {
  const sent = [pattern(8 * MiB, 1), pattern(8 * MiB + 4, 2), pattern(12, 3), pattern(5 * MiB, 4)];
  const stream = h.client.stream();
  const replies: pb.ModelStreamInferResponse[] = [];
  const done = new Promise<void>((resolve, reject) => {
    stream.on('data', (m: pb.ModelStreamInferResponse) => replies.push(m));
    stream.on('error', reject);
    stream.on('end', resolve);
  });
  sent.forEach((data, i) => stream.write(infer('echo_fp32', data, `s${i}`)));
  stream.end();
  await done;
  assert.equal(replies.length, sent.length);
  replies.forEach((m, i) => {
    assert.equal(m.error_message, '');
    assertEcho(m.infer_response!, sent[i]!, `s${i}`);
  });
});
