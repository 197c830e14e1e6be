/**
 * The large-tensor path of ModelInfer/ModelStreamInfer without extra copies:
 * - a large received message sits in an ArrayBuffer of its own, ending on a 64-byte boundary, so its
 *   last raw_input_contents tensor is aligned and the decoded request lists the buffer as one a backend
 *   may move (ownedBuffers); small messages stay in Node's pool and are not listed;
 * - replies with large raw contents come out of the encoders' REPLY_PARTS member in pieces (the tensor
 *   left in its own memory) whose bytes, joined, are exactly proto-loader's encoding, and a real grpc-js
 *   call sends them so (the client decodes the echo).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Server, ServerCredentials, credentials, type ServerInterceptingCall, type ServerInterceptor } from '@grpc/grpc-js';
import type { pb } from '@inferd/protocol';
import { isOwnMessageBuffer, MessageAssembler, OWN_MESSAGE_MIN_BYTES } from '../../src/frontends/grpc/message-assembler.js';
import { installFraming, REPLY_PARTS, type ReplyParts } from '../../src/frontends/grpc/frame-interceptor.js';
import { BY_REFERENCE_MIN_BYTES, modelInferResponseEncoder, modelStreamInferResponseEncoder } from '../../src/frontends/grpc/infer-response-encoder.js';
import { modelInferRequestDecoder } from '../../src/frontends/grpc/model-infer-codec.js';
import { decodeInferRequest } from '../../src/frontends/grpc/infer-decode.js';
import { protoServices } from '../../src/frontends/grpc/service-definition.js';

const stock = protoServices().inference.service;
const infer = stock.ModelInfer!;
const stream = stock.ModelStreamInfer!;

function frame(body: Buffer): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(body.length, 1);
  return Buffer.concat([prefix, body]);
}

function floats(n: number, seed: number): Buffer {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = i * 0.5 + seed;
  return Buffer.from(v.buffer);
}

/** Assembles `framed` from 16 KiB chunks, as HTTP/2 DATA frames bring it. */
function assemble(framed: Buffer): Buffer {
  const a = new MessageAssembler(-1);
  const out: Buffer[] = [];
  for (let at = 0; at < framed.length; at += 16384) out.push(...a.write(framed.subarray(at, at + 16384)));
  assert.equal(out.length, 1);
  return out[0]!;
}

const decodeRequest = modelInferRequestDecoder(infer.requestDeserialize as (b: Buffer) => pb.ModelInferRequest);

for (const name of ['a', 'a-longer-model-name-that-shifts-the-offsets']) {
  test(`a large request (model '${name}') is its own end-aligned buffer; its raw tensor is aligned and listed as movable`, () => {
    const data = floats(153_600, 1);
    const message = infer.requestSerialize({
      model_name: name, inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [153_600] }], raw_input_contents: [data],
    });
    const got = assemble(frame(message));
    assert.ok(got.subarray(5).equals(message));
    assert.ok(isOwnMessageBuffer(got.buffer));
    assert.equal((got.byteOffset + got.length) % 64, 0, 'the message ends on a 64-byte boundary');
    const req = decodeRequest(got.subarray(5));
    const raw = req.raw_input_contents[0]!;
    assert.ok(raw.equals(data));
    assert.equal(raw.byteOffset % 4, 0, 'the FP32 tensor is aligned for its type');
    const { init } = decodeInferRequest(req);
    assert.deepEqual(init.ownedBuffers, [got.buffer]);
  });
}

test('a small request stays in Node\'s pool and lists no buffer; a plain Buffer message lists none either', () => {
  const message = infer.requestSerialize({
    model_name: 'm', inputs: [{ name: 'I', datatype: 'FP32', shape: [4] }], raw_input_contents: [floats(4, 0)],
  });
  assert.ok(message.length + 5 < OWN_MESSAGE_MIN_BYTES);
  const got = assemble(frame(message));
  assert.equal(isOwnMessageBuffer(got.buffer), false);
  assert.equal(decodeInferRequest(decodeRequest(got.subarray(5))).init.ownedBuffers, undefined);
  const large = infer.requestSerialize({
    model_name: 'm', inputs: [{ name: 'I', datatype: 'FP32', shape: [40_000] }], raw_input_contents: [floats(40_000, 0)],
  });
  assert.equal(decodeInferRequest(decodeRequest(large)).init.ownedBuffers, undefined);
});

type Parts = (v: unknown) => ReplyParts | Buffer;
const partsOf = (encoder: unknown): Parts => (encoder as { [REPLY_PARTS]: Parts })[REPLY_PARTS];
const joined = (r: ReplyParts | Buffer): Buffer => (Buffer.isBuffer(r) ? r : Buffer.concat(r.pieces));

const big = floats(BY_REFERENCE_MIN_BYTES / 4 + 1000, 3);
const small = floats(5, 7);
const replies: Record<string, pb.ModelInferResponseInit> = {
  'one large output': {
    model_name: 'identity', model_version: '1', id: 'x', outputs: [{ name: 'OUTPUT0', datatype: 'FP32', shape: [big.length / 4] }],
    raw_output_contents: [big],
  },
  'small, large, small, large outputs with parameters': {
    model_name: 'm', model_version: '2', id: '', parameters: { p: { int64_param: 3 } },
    outputs: ['A', 'B', 'C', 'D'].map((n) => ({ name: n, datatype: 'FP32', shape: [1] })),
    raw_output_contents: [small, big, small, floats(BY_REFERENCE_MIN_BYTES / 4, 9)],
  },
};

for (const [label, reply] of Object.entries(replies)) {
  test(`ModelInfer reply in pieces (${label}): large tensors by reference, joined bytes are proto-loader's`, () => {
    const encoder = modelInferResponseEncoder(() => assert.fail('generic encoder used'));
    const parts = partsOf(encoder)(reply);
    assert.ok(!Buffer.isBuffer(parts));
    const raw = reply.raw_output_contents as Buffer[];
    for (const b of raw.filter((x) => x.length >= BY_REFERENCE_MIN_BYTES)) assert.ok(parts.pieces.includes(b), 'the tensor itself is a piece');
    assert.equal(parts.size, joined(parts).length);
    assert.ok(joined(parts).equals(infer.responseSerialize(reply)));
    // The whole-buffer serializer (what grpc-js would call) gives the same bytes.
    assert.ok(encoder(reply).equals(infer.responseSerialize(reply)));
  });

  test(`ModelStreamInfer reply in pieces (${label}): joined bytes are proto-loader's`, () => {
    const message: pb.ModelStreamInferResponseInit = {
      infer_response: { ...reply, parameters: { ...reply.parameters, triton_final_response: { bool_param: true } } },
    };
    const encoder = modelStreamInferResponseEncoder(() => assert.fail('generic encoder used'));
    const parts = partsOf(encoder)(message);
    assert.ok(!Buffer.isBuffer(parts));
    assert.ok(joined(parts).equals(stream.responseSerialize(message)));
  });
}

test('a reply without large tensors comes out of REPLY_PARTS as one buffer', () => {
  const reply = { model_name: 'm', outputs: [{ name: 'O', datatype: 'FP32', shape: [5] }], raw_output_contents: [small] };
  const got = partsOf(modelInferResponseEncoder(() => assert.fail('generic')))(reply);
  assert.ok(Buffer.isBuffer(got));
  assert.ok(got.equals(infer.responseSerialize(reply)));
});

test('a real grpc-js call sends a reply in pieces: the interceptor installs it and the client gets the exact message', async () => {
  const seen: ReturnType<typeof installFraming>[] = [];
  const probe: ServerInterceptor = (_method, call) => {
    seen.push(installFraming(call));
    return call as ServerInterceptingCall;
  };
  const server = new Server({ interceptors: [probe], 'grpc.max_send_message_length': -1, 'grpc.max_receive_message_length': -1 });
  const encoder = modelInferResponseEncoder(infer.responseSerialize as (r: pb.ModelInferResponseInit) => Buffer);
  const raw = (b: Buffer): Buffer => b;
  const replyFor = (i: number): pb.ModelInferResponseInit => ({
    model_name: 'echo', id: String(i), outputs: [{ name: 'O', datatype: 'FP32', shape: [big.length / 4] }],
    raw_output_contents: [floats(big.length / 4, i)],
  });
  server.register('/t.T/Infer', (call: { request: Buffer }, cb: (e: null, r: pb.ModelInferResponseInit) => void) => {
    cb(null, replyFor(Number(call.request.toString())));
  }, encoder as (r: pb.ModelInferResponseInit) => Buffer, raw, 'unary');
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure(), { 'grpc.max_receive_message_length': -1 });
  try {
    // Several calls at once on one connection: each reply's pieces stay together and in order.
    const replies = await Promise.all([1, 2, 3, 4].map((i) => new Promise<Buffer>((resolve, reject) =>
      client.makeUnaryRequest('/t.T/Infer', raw, raw, Buffer.from(String(i)), (err, r) => (err ? reject(err) : resolve(r!))))));
    replies.forEach((r, k) => assert.ok(r.equals(infer.responseSerialize(replyFor(k + 1))), `reply ${k + 1}`));
    assert.deepEqual(seen[0], { decoder: true, serializer: true, pieces: true });
  } finally {
    client.close();
    server.forceShutdown();
  }
});
