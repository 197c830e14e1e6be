/**
 * HTTP/2 flow-control windows of the gRPC server, seen by a raw node:http2 client over a real socket:
 * the first SETTINGS frame carries the stream window and a WINDOW_UPDATE raises the connection window
 * (4 MiB each by default, where grpc-js alone advertises 64 KiB), so a client holds credit for a whole
 * 3 MiB request before it sends a byte; the options and the CLI flags change both windows; a size out
 * of range is refused at start with the flag's name.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { Server } from '@grpc/grpc-js';
import { PROTO_DIR, PROTO_FILES, PROTO_LOADER_OPTIONS, type pb } from '@inferd/protocol';
import { loadSync } from '@grpc/proto-loader';
import { installHttp2Windows } from '../../src/frontends/grpc/http2-windows.js';
import { startGrpc, type GrpcHarness } from '../support/grpc-repo.js';
import { runCli, startServe } from '../support/spawn-cli.js';
import { identityConfig, makeRepo } from '../support/temp-repo.js';

const MiB = 1024 * 1024;
const def = loadSync([...PROTO_FILES], { ...PROTO_LOADER_OPTIONS, includeDirs: [PROTO_DIR] });
const modelInfer = (def['inference.GRPCInferenceService'] as Record<string, {
  requestSerialize(v: unknown): Buffer; responseDeserialize(b: Buffer): unknown;
}>).ModelInfer!;

/** A raw HTTP/2 session to `port` once the server's SETTINGS and window update have arrived. */
async function rawSession(port: number): Promise<{ session: http2.ClientHttp2Session; settings: http2.Settings }> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  const settings = await new Promise<http2.Settings>((resolve, reject) => {
    session.once('remoteSettings', resolve);
    session.once('error', reject);
  });
  // The server queues its WINDOW_UPDATE with its SETTINGS; the ping's answer comes after both.
  await new Promise<void>((resolve, reject) => session.ping((err) => (err ? reject(err) : resolve())));
  return { session, settings };
}

/** One ModelInfer over a raw stream: the decoded reply, and the connection's credit as the request starts. */
async function rawInfer(session: http2.ClientHttp2Session, request: pb.ModelInferRequestInit): Promise<{
  reply: pb.ModelInferResponse; sessionCredit: number;
}> {
  const body = modelInfer.requestSerialize(request);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(body.length, 1);
  const stream = session.request({
    ':method': 'POST', ':path': '/inference.GRPCInferenceService/ModelInfer', 'content-type': 'application/grpc', te: 'trailers',
  });
  // What the client may send on the connection before it hears from the server again (a stream's own
  // credit is the server's SETTINGS_INITIAL_WINDOW_SIZE; Node does not report it per stream).
  const sessionCredit = session.state.remoteWindowSize!;
  stream.end(Buffer.concat([prefix, body]));
  const chunks: Buffer[] = [];
  let status: string | undefined;
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('trailers', (t) => (status = String(t['grpc-status'])));
  await new Promise<void>((resolve, reject) => {
    stream.once('close', resolve);
    stream.once('error', reject);
  });
  assert.equal(status, '0', 'grpc-status OK');
  const framed = Buffer.concat(chunks);
  assert.equal(framed.readUInt32BE(1), framed.length - 5, 'one complete reply message');
  return { reply: modelInfer.responseDeserialize(framed.subarray(5)) as pb.ModelInferResponse, sessionCredit };
}

let h: GrpcHarness;
before(async () => {
  h = await startGrpc();
});
after(async () => {
  await h.close();
});

test('with the grpc-js installed here, both window hooks are installed', () => {
  const server = new Server();
  assert.deepEqual(installHttp2Windows(server, { stream: 1 * MiB, connection: 2 * MiB }), { settings: true, sessions: true });
});

test('default windows: 4 MiB per stream in the first SETTINGS and 4 MiB for the connection; a 3 MiB request goes without waiting', async () => {
  const { session, settings } = await rawSession(h.port);
  try {
    assert.equal(settings.initialWindowSize, 4 * MiB);
    assert.equal(session.state.remoteWindowSize, 4 * MiB);
    const data = Buffer.alloc(3 * MiB);
    for (let i = 0; i < data.length; i += 4) data.writeUInt32LE(i, i);
    const { reply, sessionCredit } = await rawInfer(session, {
      model_name: 'echo_fp32', inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, data.length / 4] }],
      outputs: [{ name: 'OUTPUT0' }], raw_input_contents: [data],
    });
    // Credit for the whole framed message before sending: no round trip for a WINDOW_UPDATE (64 KiB before).
    assert.ok(settings.initialWindowSize! > data.length + 5 && sessionCredit > data.length + 5, `credit ${sessionCredit}`);
    assert.ok(reply.raw_output_contents[0]!.equals(data), 'the reply echoes the 3 MiB tensor');
  } finally {
    session.close();
  }
});

test('http2Windows options set each window', async () => {
  const custom = await startGrpc([], { http2Windows: { stream: 1 * MiB, connection: 8 * MiB } });
  try {
    const { session, settings } = await rawSession(custom.port);
    assert.equal(settings.initialWindowSize, 1 * MiB);
    assert.equal(session.state.remoteWindowSize, 8 * MiB);
    session.close();
  } finally {
    await custom.close();
  }
});

test('an out-of-range window in the options fails listen with INVALID_ARG naming the flag', async () => {
  await assert.rejects(startGrpc([], { http2Windows: { stream: 1000 } }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'INVALID_ARG');
    assert.match(err.message, /invalid argument for --grpc-http2-stream-window-size, got: 1000 \(an HTTP\/2 window size in bytes, 65535 to 2147483647\)/);
    return true;
  });
});

test('CLI: --grpc-http2-stream-window-size and --grpc-http2-connection-window-size reach the connection', async () => {
  const repo = makeRepo({ 'echo/config.pbtxt': identityConfig(), 'echo/1/': null });
  const run = await startServe([
    '--model-repository', repo.dir, '--allow-metrics', 'false',
    '--grpc-http2-stream-window-size', '2097152', '--grpc-http2-connection-window-size', '33554432',
  ]);
  try {
    const { session, settings } = await rawSession(run.grpcPort);
    assert.equal(settings.initialWindowSize, 2 * MiB);
    assert.equal(session.state.remoteWindowSize, 32 * MiB);
    session.close();
  } finally {
    run.child.kill();
    await run.exited;
    repo.cleanup();
  }
});

for (const [flag, value] of [['--grpc-http2-stream-window-size', '65534'], ['--grpc-http2-connection-window-size', '2147483648']] as const) {
  test(`CLI: ${flag} ${value} is refused at start (usage error)`, async () => {
    const run = runCli(['serve', '--model-repository', 'examples/models', flag, value]);
    assert.equal(await run.exited, 2);
    assert.match(run.stderr(), new RegExp(`invalid argument for ${flag}, got: ${value} \\(an HTTP/2 window size in bytes, 65535 to 2147483647\\)`));
  });
}
