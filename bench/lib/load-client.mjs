#!/usr/bin/env node
// Closed-loop HTTP load generator: `concurrency` keep-alive connections, each sending the next request
// as soon as the previous answer arrives, for `durationMs` after a warm-up. Prints one JSON line.
// Usage: node load-client.mjs <json-spec>  where spec = {url, method, headers, bodyBase64, concurrency,
//        durationMs, warmupMs, expectStatus}
import http from 'node:http';

const spec = JSON.parse(process.argv[2]);
const body = Buffer.from(spec.bodyBase64 ?? '', 'base64');
const url = new URL(spec.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: spec.concurrency });
const headers = { ...spec.headers, 'content-length': String(body.length) };

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
counting = true;
const start = process.hrtime.bigint();
await new Promise((r) => setTimeout(r, spec.durationMs ?? 3000));
counting = false;
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
stop = true;
await Promise.all(loops);
agent.destroy();
latencies.sort((a, b) => a - b);
const p = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
process.stdout.write(
  JSON.stringify({ requests: done, errors, seconds, rps: done / seconds, p50us: p(0.5), p99us: p(0.99) }) + '\n',
);
