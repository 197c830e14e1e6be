#!/usr/bin/env node
// Closed-loop gRPC load generator for one unary method: one channel (HTTP/2 multiplexes the streams),
// `concurrency` loops each sending the next call as soon as the previous answer arrives, for `durationMs`
// after a warm-up. Requests are pre-encoded bytes and replies are not decoded, so the client's cost is
// the same for every server. Prints one JSON line like bench/lib/load-client.mjs, including the server
// process's CPU time over the measured window (`serverCpuUs`, from /proc/<pid>/stat).
// Usage: node load-client.mjs <json-spec>  spec = {port, path, requestBase64 | requestFile, concurrency, durationMs,
//        warmupMs, serverPid, channelOptions}  (requestFile: requests too large for one argv string; channelOptions
//        are merged over CHANNEL_OPTIONS, e.g. the client's HTTP/2 flow-control window)
import { readFileSync } from 'node:fs';
import { Client, credentials } from '@grpc/grpc-js';
import { closedLoop } from '../lib/closed-loop.mjs';
import { CHANNEL_OPTIONS } from './service.mjs';

const spec = JSON.parse(process.argv[2]);
const request = spec.requestFile !== undefined ? readFileSync(spec.requestFile) : Buffer.from(spec.requestBase64, 'base64');
const client = new Client(`127.0.0.1:${spec.port}`, credentials.createInsecure(), { ...CHANNEL_OPTIONS, ...spec.channelOptions });
const identity = (b) => b;

function send() {
  return new Promise((resolve) => {
    client.makeUnaryRequest(spec.path, identity, identity, request, (err, reply) => {
      resolve(err === null && reply.length > 0 ? undefined : (err?.details ?? 'empty reply'));
    });
  });
}

await new Promise((resolve, reject) => client.waitForReady(Date.now() + 5000, (err) => (err ? reject(err) : resolve())));
const result = await closedLoop({
  send, concurrency: spec.concurrency, warmupMs: spec.warmupMs ?? 1000, durationMs: spec.durationMs ?? 3000,
  serverPid: spec.serverPid,
});
client.close();
process.stdout.write(JSON.stringify(result) + '\n');
