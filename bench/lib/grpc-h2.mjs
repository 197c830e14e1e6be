// Unary gRPC calls on bare node:http2, for load generators that must cost the client little: the request
// is framed once (5-byte gRPC prefix + message) and every call sends that one buffer; reply bytes are
// counted and dropped (as bench/lib/load-client.mjs does with HTTP replies). grpc-js's client instead copies
// each request behind its prefix and concatenates every reply (~1.4 ms of client CPU per 600 KB call on the
// 2-core machine, taken from the server being measured).
import http2 from 'node:http2';

/** The gRPC length-prefixed frame of one serialized message. */
export function grpcFrame(message) {
  const framed = Buffer.allocUnsafe(5 + message.length);
  framed[0] = 0;
  framed.writeUInt32BE(message.length, 1);
  message.copy(framed, 5);
  return framed;
}

/**
 * One HTTP/2 connection advertising `window` bytes for each stream and for the connection. Keep it at most
 * a few MiB: Node stops reading a socket while its own write on it is pending, so two Node peers with windows
 * larger than the socket buffers can stall each other for good (packages/server/src/frontends/grpc/http2-windows.ts).
 */
export async function connectGrpc(port, window = 4 << 20) {
  // maxSessionMemory (MB): Node's 10 MB default resets calls (ENHANCE_YOUR_CALM) once a few 4 MB replies are
  // in flight; grpc-js lifts it the same way.
  const session = http2.connect(`http://127.0.0.1:${port}`, { settings: { initialWindowSize: window }, maxSessionMemory: 1 << 16 });
  session.on('error', () => {});
  await new Promise((resolve, reject) => {
    session.once('connect', resolve);
    session.once('error', reject);
  });
  if (window > 65_535) session.setLocalWindowSize(window);
  return session;
}

/**
 * One unary call; resolves to undefined on grpc-status 0 with a reply of `replyBytes` message bytes (when
 * given, prefix excluded), else to an error description.
 */
export function unaryCall(session, path, framed, replyBytes) {
  return new Promise((resolve) => {
    const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' });
    let bytes = 0;
    let status;
    let message;
    stream.on('response', (h) => {
      // A trailers-only reply (an error) carries grpc-status in its headers.
      if (h['grpc-status'] !== undefined) status = String(h['grpc-status']);
      message = h['grpc-message'];
    });
    stream.on('trailers', (t) => {
      status = String(t['grpc-status']);
      message = t['grpc-message'];
    });
    stream.on('data', (chunk) => {
      bytes += chunk.length;
    });
    stream.on('close', () => {
      if (status !== '0') resolve(`grpc-status ${status ?? '(none)'}: ${message ?? stream.rstCode}`);
      else if (replyBytes !== undefined && bytes !== replyBytes + 5) resolve(`reply of ${bytes} bytes`);
      else resolve(undefined);
    });
    stream.on('error', () => {});
    stream.end(framed);
  });
}
