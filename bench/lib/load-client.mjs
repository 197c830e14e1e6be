#!/usr/bin/env node
// Closed-loop HTTP load generator: `concurrency` keep-alive connections, each sending the next request
// as soon as the previous answer arrives, for `durationMs` after a warm-up. Prints one JSON line.
// Usage: node load-client.mjs <json-spec>  where spec = {url, method, headers, bodyBase64, concurrency,
//        durationMs, warmupMs, expectStatus, serverPid}
// With `serverPid`, the server process's CPU time (all its threads, user + system, from /proc/<pid>/stat)
// is read at the start and end of the measured window and reported as `serverCpuUs`: CPU per request is
// steadier than req/s on a shared machine, because it does not depend on who else gets the cores.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const spec = JSON.parse(process.argv[2]);
const body = Buffer.from(spec.bodyBase64 ?? '', 'base64');
const url = new URL(spec.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: spec.concurrency });
const headers = { ...spec.headers, 'content-length': String(body.length) };

const TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** utime + stime of a whole process (every thread), in µs; undefined without /proc. */
function processCpuUs(pid) {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may hold spaces); utime and stime are fields
    // 14 and 15 of the line, i.e. 12 and 13 after the ')'.
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
const latencies = [];

function once() {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname, method: spec.method ?? 'POST', headers, agent },
      (res) => {
        res.on('data', () => {});
        res.on('end', () => {
          if (counting) {
            if (res.statusCode === (spec.expectStatus ?? 200)) {
              done += 1;
              latencies.push(Number(process.hrtime.bigint() - t0) / 1e3);
            } else errors += 1;
          }
          resolve();
        });
      },
    );
    req.on('error', () => {
      if (counting) errors += 1;
      resolve();
    });
    req.end(body);
  });
}

async function loop() {
  while (!stop) await once();
}

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
agent.destroy();
latencies.sort((a, b) => a - b);
const p = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
process.stdout.write(
  JSON.stringify({
    requests: done, errors, seconds, rps: done / seconds, p50us: p(0.5), p99us: p(0.99),
    ...(cpuStart === undefined || cpuEnd === undefined ? {} : { serverCpuUs: cpuEnd - cpuStart }),
  }) + '\n',
);
