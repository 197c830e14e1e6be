#!/usr/bin/env node
// Closed-loop gRPC load generator on bare node:http2 (grpc-h2.mjs), for large messages: one HTTP/2
// connection (streams multiplexed), `concurrency` loops each sending the next unary call as soon as the
// previous one ends. Prints one JSON line like bench/lib/load-client.mjs, with the server's CPU time.
// Usage: node grpc-h2-load-client.mjs <json-spec>  spec = {port, path, requestFile, concurrency, durationMs,
//        warmupMs, serverPid, window (HTTP/2 stream and connection window, bytes; default 4 MiB),
//        replyBytes (expected gRPC message bytes of each reply, prefix excluded; optional)}
import { readFileSync } from 'node:fs';
import { closedLoop } from './closed-loop.mjs';
import { connectGrpc, grpcFrame, unaryCall } from './grpc-h2.mjs';

const spec = JSON.parse(process.argv[2]);
const framed = grpcFrame(readFileSync(spec.requestFile));
const session = await connectGrpc(spec.port, spec.window);
const result = await closedLoop({
  send: () => unaryCall(session, spec.path, framed, spec.replyBytes),
  concurrency: spec.concurrency, warmupMs: spec.warmupMs ?? 1000, durationMs: spec.durationMs ?? 3000,
  serverPid: spec.serverPid,
});
session.close();
process.stdout.write(JSON.stringify(result) + '\n');
