#!/usr/bin/env node
// bench/large-tensors: 4 MB and 64 MB FP32 tensors through the example ONNX identity model (identity_fp32)
// over HTTP binary, as tensor bytes in per second, against this machine's memcpy bandwidth measured in the
// same run (Buffer.copy of the same size, back to back), and against a bare node:http echo of the same
// request (echo-server.mjs: what Node's HTTP stack alone allows over loopback). The goal (issue 14) is served / memcpy >= 0.25: a
// request may touch its bytes a few times (socket, backend, reply), not a dozen.
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { closedLoop } from '../lib/closed-loop.mjs';
import { list, startCli, startServer, stopServer } from '../lib/harness.mjs';

const durationMs = Number(process.env.BENCH_DURATION_MS ?? 4000);
const SIZES_MB = list('BENCH_SIZES_MB', ['4', '64']).map(Number);
const CONCURRENCIES = list('BENCH_CONCURRENCY', ['1', '4']).map(Number);
const examples = fileURLToPath(new URL('../../examples/models', import.meta.url));

/**
 * Bytes per second of Buffer.copy between two buffers of `bytes` (best of 5 passes of ~0.3 s). Run at 256 MiB,
 * past every cache, so the figure is the machine's memory bandwidth, not a cache-hot copy of a 4 MB tensor.
 */
function memcpyBandwidth(bytes) {
  const a = Buffer.alloc(bytes, 1);
  const b = Buffer.alloc(bytes);
  let best = 0;
  for (let pass = 0; pass < 5; pass++) {
    let n = 0;
    const t0 = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < 0.3) {
      a.copy(b);
      n++;
      elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
    }
    best = Math.max(best, (n * bytes) / elapsed);
  }
  return best;
}

function body(bytes) {
  const count = bytes / 4;
  const header = Buffer.from(JSON.stringify({
    inputs: [{ name: 'INPUT0', shape: [1, count], datatype: 'FP32', parameters: { binary_data_size: bytes } }],
    outputs: [{ name: 'OUTPUT0', parameters: { binary_data: true } }],
  }));
  const data = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i += 4096) data.writeFloatLE(i, i);
  return { body: Buffer.concat([header, data]), headerLength: header.length };
}

function load(port, bytes, concurrency, serverPid, path = '/v2/models/identity_fp32/infer') {
  const { body: payload, headerLength } = body(bytes);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const headers = {
    'content-type': 'application/octet-stream', 'inference-header-content-length': String(headerLength),
    'content-length': String(payload.length),
  };
  const send = () => new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', headers, agent }, (res) => {
      let got = 0;
      res.on('data', (c) => { got += c.length; });
      res.on('end', () => resolve(res.statusCode !== 200 ? `HTTP ${res.statusCode}` : got < bytes ? `short reply ${got}` : undefined));
    });
    req.on('error', (e) => resolve(e.message));
    req.end(payload);
  });
  return closedLoop({ send, concurrency, warmupMs: 1000, durationMs, serverPid }).finally(() => agent.destroy());
}

const server = await startCli([
  '--model-repository', examples, '--http-port', '0', '--http-address', '127.0.0.1', '--allow-grpc=false',
  '--allow-metrics=false', '--model-control-mode=explicit', '--load-model=identity_fp32',
  // 64 MB of tensor plus its JSON header is past Triton's default 64 MiB limit, as a user would raise it.
  '--http-max-input-size', String(256 * 2 ** 20),
]);
const echo = await startServer([fileURLToPath(new URL('./echo-server.mjs', import.meta.url))]);
const rows = [];
const memcpy = memcpyBandwidth(256 * 2 ** 20);
try {
  for (const mb of SIZES_MB) {
    const bytes = mb * 2 ** 20;
    for (const c of CONCURRENCIES) {
      const r = await load(server.port, bytes, c, server.child.pid);
      if (r.errors > 0) throw new Error(`${mb} MB c=${c}: ${r.errors} failed (${r.firstError})`);
      const bare = await load(echo.port, bytes, c, echo.child.pid, '/v2/models/echo/infer');
      rows.push({ mb, c, rps: r.rps, served: r.rps * bytes, memcpy, cpuPerReq: r.serverCpuUs / r.requests, bare: bare.rps * bytes });
    }
  }
} finally {
  stopServer(server);
  stopServer(echo);
}
const loadAvg = execFileSync('uptime', { encoding: 'utf8' }).trim().replace(/.*load average: /, '');
console.log(`Large FP32 tensors through ONNX identity_fp32 over HTTP binary (closed loops, ${durationMs / 1000} s each), tensor bytes`);
console.log(`in per second vs memcpy (Buffer.copy of 256 MiB: memory bandwidth) and a bare node:http echo, measured in this run. Load average after: ${loadAvg}.`);
console.log('Goal: served / memcpy ≥ 0.25.');
console.log('');
console.log('| tensor | concurrency | req/s | served GB/s | memcpy GB/s | served / memcpy | bare echo GB/s | served / bare | server CPU ms / req |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.mb} MB | ${r.c} | ${r.rps.toFixed(1)} | ${(r.served / 1e9).toFixed(2)} | ${(r.memcpy / 1e9).toFixed(1)} | ${(r.served / r.memcpy).toFixed(3)} | ${(r.bare / 1e9).toFixed(2)} | ${(r.served / r.bare).toFixed(2)} | ${(r.cpuPerReq / 1000).toFixed(1)} |`);
}
