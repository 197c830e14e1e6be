#!/usr/bin/env node
// Closed-loop HTTP load generator: `concurrency` keep-alive connections, each sending the next request
// as soon as the previous answer arrives, for `durationMs` after a warm-up. Prints one JSON line.
// Usage: node load-client.mjs <json-spec>  where spec = {url, method, headers, bodyBase64 | bodyFile, concurrency,
//        durationMs, warmupMs, expectStatus, serverPid}  (bodyFile: bodies too large for one argv string)
// With `serverPid`, the server process's CPU time (all its threads, user + system) is reported as
// `serverCpuUs`: CPU per request is steadier than req/s on a shared machine, because it does not depend
// on who else gets the cores.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { closedLoop } from './closed-loop.mjs';

const spec = JSON.parse(process.argv[2]);
const body = spec.bodyFile !== undefined ? readFileSync(spec.bodyFile) : Buffer.from(spec.bodyBase64 ?? '', 'base64');
const url = new URL(spec.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: spec.concurrency });
const headers = { ...spec.headers, 'content-length': String(body.length) };

function send() {
  return new Promise((resolve) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname, method: spec.method ?? 'POST', headers, agent },
      (res) => {
        res.on('data', () => {});
        res.on('end', () => resolve(res.statusCode === (spec.expectStatus ?? 200) ? undefined : `HTTP ${res.statusCode}`));
      },
    );
    req.on('error', (err) => resolve(err.message));
    req.end(body);
  });
}

const result = await closedLoop({
  send, concurrency: spec.concurrency, warmupMs: spec.warmupMs ?? 1000, durationMs: spec.durationMs ?? 3000,
  serverPid: spec.serverPid,
});
agent.destroy();
process.stdout.write(JSON.stringify(result) + '\n');
