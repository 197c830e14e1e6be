#!/usr/bin/env node
// Closed-loop gRPC load generator on bare node:http2, for large messages: one HTTP/2 connection (streams
// multiplexed), `concurrency` loops each sending the next unary call as soon as the previous one ends.
// The request is framed once (5-byte gRPC prefix + message) and sent from that one buffer every time;
// reply bytes are counted and dropped, the call succeeds on trailers with grpc-status 0 and a reply of
// the expected size. That is what bench/lib/load-client.mjs does for HTTP (body written from one buffer,
// reply read and dropped), so both protocols put the same small client load on the machine; grpc-js's
// client instead copies each request behind its prefix and concatenates every reply (~1.4 ms of client
// CPU per 600 KB call here, which on 2 cores is taken from the server being measured).
// Usage: node grpc-h2-load-client.mjs <json-spec>  spec = {port, path, requestFile, concurrency, durationMs,
//        warmupMs, serverPid, window (HTTP/2 stream and connection window, bytes; default 16 MiB),
//        replyBytes (expected gRPC message bytes of each reply, prefix excluded; optional)}
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import { closedLoop } from './closed-loop.mjs';

const spec = JSON.parse(process.argv[2]);
const message = readFileSync(spec.requestFile);
const framed = Buffer.allocUnsafe(5 + message.length);
framed[0] = 0;
framed.writeUInt32BE(message.length, 1);
message.copy(framed, 5);
const window = spec.window ?? 16 << 20;

const session = http2.connect(`http://127.0.0.1:${spec.port}`, { settings: { initialWindowSize: window } });
session.on('error', () => {});
await new Promise((resolve, reject) => {
  session.once('connect', resolve);
  session.once('error', reject);
});
session.setLocalWindowSize(window);

const headers = {
  ':method': 'POST', ':path': spec.path, 'content-type': 'application/grpc', te: 'trailers',
};

function send() {
  return new Promise((resolve) => {
    const stream = session.request(headers);
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
      else if (spec.replyBytes !== undefined && bytes !== spec.replyBytes + 5) resolve(`reply of ${bytes} bytes`);
      else resolve(undefined);
    });
    stream.on('error', () => {});
    stream.end(framed);
  });
}

const result = await closedLoop({
  send, concurrency: spec.concurrency, warmupMs: spec.warmupMs ?? 1000, durationMs: spec.durationMs ?? 3000,
  serverPid: spec.serverPid,
});
session.close();
process.stdout.write(JSON.stringify(result) + '\n');
