/**
 * The HTTP/2 flow-control window GrpcClient advertises, read on the server side of a real connection
 * (a raw node:http2 server standing in for the gRPC server): 4 MiB per stream and for the connection
 * by default, where grpc-js alone keeps 64 KiB (so large replies would wait for WINDOW_UPDATEs), and
 * the `flowControlWindow` option changes it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { DEFAULT_GRPC_FLOW_CONTROL_WINDOW, GrpcClient } from '../src/grpc.js';

/** The client's SETTINGS_INITIAL_WINDOW_SIZE and connection window as the server sees them after one call. */
async function advertised(options: ConstructorParameters<typeof GrpcClient>[1]): Promise<{ stream: number; connection: number }> {
  const server = http2.createServer();
  let session: http2.ServerHttp2Session | undefined;
  server.on('session', (s) => (session = s));
  // Every call is answered UNAVAILABLE at once: only the connection matters here.
  server.on('stream', (stream) => stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '14' }, { endStream: true }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new GrpcClient(`127.0.0.1:${(server.address() as AddressInfo).port}`, options);
  try {
    await assert.rejects(client.isServerLive());
    // The ping's answer comes after the client's SETTINGS and WINDOW_UPDATE have been read.
    await new Promise<void>((resolve, reject) => session!.ping((err) => (err ? reject(err) : resolve())));
    return { stream: session!.remoteSettings.initialWindowSize!, connection: session!.state.remoteWindowSize! };
  } finally {
    client.close();
    session?.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}

test('GrpcClient advertises 4 MiB windows by default', async () => {
  assert.equal(DEFAULT_GRPC_FLOW_CONTROL_WINDOW, 4 * 1024 * 1024);
  assert.deepEqual(await advertised({}), { stream: DEFAULT_GRPC_FLOW_CONTROL_WINDOW, connection: DEFAULT_GRPC_FLOW_CONTROL_WINDOW });
});

test('flowControlWindow sets both windows', async () => {
  assert.deepEqual(await advertised({ flowControlWindow: 1 << 20 }), { stream: 1 << 20, connection: 1 << 20 });
});
