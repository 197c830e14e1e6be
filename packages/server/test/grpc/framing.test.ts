/**
 * The gRPC framing that replaces grpc-js's own for our server's calls: MessageAssembler gives the
 * same messages and errors as grpc-js's StreamDecoder for any split of the byte stream, replies
 * written with headroom are framed in their own memory, and, with the grpc-js installed here, the
 * interceptor does replace the decoder and the serializer of a real call (were grpc-js to rename
 * them, large messages would silently go back to costing extra copies).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Server, ServerCredentials, credentials, type ServerInterceptingCall, type ServerInterceptor } from '@grpc/grpc-js';
// grpc-js's own decoder, the reference for what the assembler must produce.
import { StreamDecoder } from '@grpc/grpc-js/build/src/stream-decoder.js';
import { MessageAssembler } from '../../src/frontends/grpc/message-assembler.js';
import { allocWithFrameHeadroom, frameMessage, installFraming } from '../../src/frontends/grpc/frame-interceptor.js';

function frame(body: Buffer, compressed = 0): Buffer {
  const prefix = Buffer.alloc(5);
  prefix[0] = compressed;
  prefix.writeUInt32BE(body.length, 1);
  return Buffer.concat([prefix, body]);
}

type Decoder = { write(data: Buffer): Buffer[] };

/** Feeds `stream` to `decoder` in pieces cut at `cuts` and collects the messages. */
function feed(decoder: Decoder, stream: Buffer, cuts: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (const cut of [...cuts, stream.length]) {
    out.push(...decoder.write(stream.subarray(at, cut)));
    at = cut;
  }
  return out;
}

const body = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

test('MessageAssembler: the same messages as StreamDecoder for every two-cut split of a stream', () => {
  const stream = Buffer.concat([frame(body(9, 1)), frame(Buffer.alloc(0)), frame(body(3, 2), 1), frame(body(7, 3))]);
  for (let a = 0; a <= stream.length; a++) {
    for (let b = a; b <= stream.length; b++) {
      const expected = feed(new StreamDecoder(-1), stream, [a, b]);
      const got = feed(new MessageAssembler(-1), stream, [a, b]);
      assert.deepEqual(got, expected, `cuts at ${a}, ${b}`);
    }
  }
  assert.equal(feed(new MessageAssembler(-1), stream, []).length, 4);
});

test('MessageAssembler: a large message written piecewise, byte-exact, in a buffer of its own', () => {
  const message = frame(body(3 * 65536 + 17, 5));
  const chunks: number[] = [];
  for (let at = 1; at < message.length; at += 16384 + (at % 7)) chunks.push(at);
  const [got, ...rest] = feed(new MessageAssembler(-1), message, chunks);
  assert.deepEqual(rest, []);
  assert.ok(got!.equals(message));
  // One allocation for the message: not a slice of the chunks it was given.
  assert.notEqual(got!.buffer, message.buffer);
});

test('MessageAssembler: above the receive limit, StreamDecoder\'s error, raised on the prefix alone', () => {
  const prefix = frame(body(11, 0)).subarray(0, 5);
  const expected = (() => {
    try {
      new StreamDecoder(10).write(prefix);
    } catch (err) {
      return (err as Error).message;
    }
    return undefined;
  })();
  assert.equal(expected, 'Received message larger than max (11 vs 10)');
  assert.throws(() => new MessageAssembler(10).write(prefix), { message: expected });
  assert.equal(new MessageAssembler(11).write(frame(body(11, 0))).length, 1);
});

test('frameMessage: a reply with headroom is framed in its own memory; any other is copied behind a prefix', () => {
  // Above Buffer's pool size, so every allocation here is an ArrayBuffer of its own.
  const n = 5000;
  const roomy = allocWithFrameHeadroom(n);
  body(n, 4).copy(roomy);
  const framed = frameMessage(roomy);
  assert.equal(framed.buffer, roomy.buffer);
  assert.equal(framed.byteOffset + 5, roomy.byteOffset);
  assert.ok(framed.equals(frame(body(n, 4))));

  const plain = body(n, 6);
  const copied = frameMessage(plain);
  assert.notEqual(copied.buffer, plain.buffer);
  assert.ok(copied.equals(frame(plain)));
  // Headroom is used once: framing the same body again copies (the first frame may still be in flight).
  const again = frameMessage(roomy);
  assert.notEqual(again.buffer, framed.buffer);
  assert.ok(again.equals(framed));
});

test('installFraming: with the installed grpc-js, a real call gets the assembler and the in-place serializer', async () => {
  const seen: { decoder: boolean; serializer: boolean }[] = [];
  const probe: ServerInterceptor = (_method, call) => {
    seen.push(installFraming(call));
    return call as ServerInterceptingCall;
  };
  const server = new Server({ interceptors: [probe] });
  const raw = (b: Buffer) => b;
  server.register('/t.T/Echo', (call: { request: Buffer }, cb: (e: null, r: Buffer) => void) => {
    const reply = allocWithFrameHeadroom(call.request.length);
    call.request.copy(reply);
    cb(null, reply);
  }, raw, raw, 'unary');
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  try {
    const request = body(100_000, 9);
    const reply = await new Promise<Buffer>((resolve, reject) =>
      client.makeUnaryRequest('/t.T/Echo', raw, raw, request, (err, r) => (err ? reject(err) : resolve(r!))));
    assert.ok(reply.equals(request));
    // No REPLY_PARTS member on this serializer: replies stay whole.
    assert.deepEqual(seen, [{ decoder: true, serializer: true, pieces: false }]);
  } finally {
    client.close();
    server.forceShutdown();
  }
});
