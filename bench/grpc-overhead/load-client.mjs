#!/usr/bin/env node
// Closed-loop gRPC load generator for one unary method: one channel (HTTP/2 multiplexes the streams),
// `concurrency` loops each sending the next call as soon as the previous answer arrives, for `durationMs`
// after a warm-up. Requests are pre-encoded bytes and replies are not decoded, so the client's cost is
// the same for every server. Prints one JSON line like bench/lib/load-client.mjs, including the server
// process's CPU time over the measured window (`serverCpuUs`, from /proc/<pid>/stat).
// Usage: node load-client.mjs <json-spec>  spec = {port, path, requestBase64, concurrency, durationMs, warmupMs, serverPid}
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { Client, credentials } from '@grpc/grpc-js';
import { CHANNEL_OPTIONS } from './service.mjs';

const spec = JSON.parse(process.argv[2]);
const request = Buffer.from(spec.requestBase64, 'base64');
const client = new Client(`127.0.0.1:${spec.port}`, credentials.createInsecure(), CHANNEL_OPTIONS);
const identity = (b) => b;

const TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** utime + stime of a whole process (every thread), in µs; undefined without /proc. */
function processCpuUs(pid) {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: utime and stime are the 12th and 13th after ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) * TICK_US;
  } catch {
    return undefined;
  }
}

let counting = false;
let done = 0;
let errors = 0;
let stop = false;
let firstError;
const latencies = [];

function once() {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    client.makeUnaryRequest(spec.path, identity, identity, request, (err, reply) => {
      if (counting) {
        if (err === null && reply.length > 0) {
          done += 1;
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e3);
        } else {
          errors += 1;
          firstError ??= err?.details ?? 'empty reply';
        }
      }
      resolve();
    });
  });
}

async function loop() {
  while (!stop) await once();
}

await new Promise((resolve, reject) => client.waitForReady(Date.now() + 5000, (err) => (err ? reject(err) : resolve())));
const loops = Array.from({ length: spec.concurrency }, loop);
await new Promise((r) => setTimeout(r, spec.warmupMs ?? 1000));
const cpuStart = processCpuUs(spec.serverPid);
counting = true;
const start = process.hrtime.bigint();
await new Promise((r) => setTimeout(r, spec.durationMs ?? 3000));
counting = false;
const cpuEnd = processCpuUs(spec.serverPid);
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
stop = true;
await Promise.all(loops);
client.close();
latencies.sort((a, b) => a - b);
const p = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
process.stdout.write(
  JSON.stringify({
    requests: done, errors, seconds, rps: done / seconds, p50us: p(0.5), p99us: p(0.99),
    ...(firstError === undefined ? {} : { firstError }),
    ...(cpuStart === undefined || cpuEnd === undefined ? {} : { serverCpuUs: cpuEnd - cpuStart }),
  }) + '\n',
);
