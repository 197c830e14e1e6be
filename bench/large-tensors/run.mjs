#!/usr/bin/env node
// bench/large-tensors: 4 MB and 64 MB FP32 tensors through the example ONNX identity model (identity_fp32, or BENCH_MODEL)
// over HTTP binary, as tensor bytes in per second, against this machine's memcpy bandwidth measured in the
// same run (Buffer.copy of the same size, back to back), and against a bare node:http echo of the same
// request (echo-server.mjs: what Node's HTTP stack alone allows over loopback). The same tensors also go
// over gRPC (ModelInfer, raw_input_contents, one HTTP/2 connection, bare node:http2 client: grpc-h2.mjs). The goal (issue 14) is served / memcpy >= 0.25: a
// request may touch its bytes a few times (socket, backend, reply), not a dozen.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { closedLoop } from '../lib/closed-loop.mjs';
import { connectGrpc, grpcFrame, unaryCall } from '../lib/grpc-h2.mjs';
import { list, startCli, startServer, stopServer } from '../lib/harness.mjs';
import { inferenceService, MODEL_INFER_PATH } from '../grpc-overhead/service.mjs';

const durationMs = Number(process.env.BENCH_DURATION_MS ?? 4000);
const SIZES_MB = list('BENCH_SIZES_MB', ['4', '64']).map(Number);
const CONCURRENCIES = list('BENCH_CONCURRENCY', ['1', '4']).map(Number);
// BENCH_REPO / BENCH_MODEL point the bench at another model (e.g. the JS identity backend, to see what the
// ONNX hop adds); the recorded figures use the example ONNX model.
const REPO = process.env.BENCH_REPO ?? fileURLToPath(new URL('../../examples/models', import.meta.url));
const MODEL = process.env.BENCH_MODEL ?? 'identity_fp32';

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

function load(port, bytes, concurrency, serverPid, path = `/v2/models/${MODEL}/infer`) {
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

/** The same tensor as one ModelInfer over gRPC, `concurrency` calls in flight on one connection. */
async function loadGrpc(port, bytes, concurrency, serverPid) {
  const data = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i += 4096) data.writeFloatLE(i, i);
  const framed = grpcFrame(inferenceService().ModelInfer.requestSerialize({
    model_name: MODEL, inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, bytes / 4] }], outputs: [{ name: 'OUTPUT0' }],
    raw_input_contents: [data],
  }));
  const session = await connectGrpc(port);
  const send = () => unaryCall(session, MODEL_INFER_PATH, framed);
  try {
    return await closedLoop({ send, concurrency, warmupMs: 1000, durationMs, serverPid });
  } finally {
    session.close();
  }
}

async function post(port, path, json) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', body: JSON.stringify(json) });
  if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return res;
}

/**
 * The same model with the tensors in system shared memory (Triton's shm extension): each closed loop owns
 * an input and an output region in /dev/shm, the request is a small JSON body naming them. The client
 * writes its input once; the figure is what the server moves per second.
 */
async function loadShm(port, bytes, concurrency, serverPid) {
  const regions = [];
  for (let i = 0; i < concurrency; i++) {
    const key = `/inferd-bench-${process.pid}-${i}`;
    const data = Buffer.alloc(2 * bytes);
    for (let j = 0; j < bytes; j += 4096) data.writeFloatLE(j, j);
    writeFileSync(`/dev/shm${key}`, data);
    const name = `bench_${i}`;
    await post(port, `/v2/systemsharedmemory/region/${name}/register`, { key, offset: 0, byte_size: 2 * bytes });
    regions.push({ key, name });
  }
  let next = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const loops = regions.map(({ name }) => JSON.stringify({
    inputs: [{ name: 'INPUT0', shape: [1, bytes / 4], datatype: 'FP32', parameters: { shared_memory_region: name, shared_memory_byte_size: bytes } }],
    outputs: [{ name: 'OUTPUT0', parameters: { shared_memory_region: name, shared_memory_byte_size: bytes, shared_memory_offset: bytes } }],
  }));
  // closedLoop runs `concurrency` loops that each await send(): hand each call the body of a free region.
  const free = [...loops];
  const send = () => new Promise((resolve) => {
    const body = free.pop() ?? loops[next++ % loops.length];
    const req = http.request({
      host: '127.0.0.1', port, path: `/v2/models/${MODEL}/infer`, method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
    }, (res) => {
      res.on('data', () => {});
      res.on('end', () => { free.push(body); resolve(res.statusCode === 200 ? undefined : `HTTP ${res.statusCode}`); });
    });
    req.on('error', (e) => { free.push(body); resolve(e.message); });
    req.end(body);
  });
  try {
    return await closedLoop({ send, concurrency, warmupMs: 1000, durationMs, serverPid });
  } finally {
    agent.destroy();
    for (const { key, name } of regions) {
      await post(port, `/v2/systemsharedmemory/region/${name}/unregister`, {});
      rmSync(`/dev/shm${key}`, { force: true });
    }
  }
}

const server = await startCli([
  '--model-repository', REPO, '--http-port', '0', '--http-address', '127.0.0.1', '--grpc-port', '0', '--grpc-address', '127.0.0.1',
  '--allow-metrics=false', '--model-control-mode=explicit', `--load-model=${MODEL}`,
  // 64 MB of tensor plus its JSON header is past Triton's default 64 MiB limit, as a user would raise it.
  '--http-max-input-size', String(256 * 2 ** 20), '--allow-client-shm=true',
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
      rows.push({ mb, c, rps: r.rps, served: r.rps * bytes, memcpy, cpuPerReq: r.serverCpuUs / r.requests, bare: bare.rps * bytes, path: 'HTTP binary' });
      const shm = await loadShm(server.port, bytes, c, server.child.pid);
      if (shm.errors > 0) throw new Error(`${mb} MB c=${c} shm: ${shm.errors} failed (${shm.firstError})`);
      rows.push({ mb, c, rps: shm.rps, served: shm.rps * bytes, memcpy, cpuPerReq: shm.serverCpuUs / shm.requests, bare: bare.rps * bytes, path: 'system shm' });
      const grpc = await loadGrpc(server.grpcPort, bytes, c, server.child.pid);
      if (grpc.errors > 0) throw new Error(`${mb} MB c=${c} gRPC: ${grpc.errors} failed (${grpc.firstError})`);
      rows.push({ mb, c, rps: grpc.rps, served: grpc.rps * bytes, memcpy, cpuPerReq: grpc.serverCpuUs / grpc.requests, bare: bare.rps * bytes, path: 'gRPC raw' });
    }
  }
} finally {
  stopServer(server);
  stopServer(echo);
}
const loadAvg = execFileSync('uptime', { encoding: 'utf8' }).trim().replace(/.*load average: /, '');
console.log(`Large FP32 tensors through ${MODEL} over HTTP binary, system shm and gRPC (closed loops, ${durationMs / 1000} s each), tensor bytes`);
console.log(`in per second vs memcpy (Buffer.copy of 256 MiB: memory bandwidth) and a bare node:http echo, measured in this run. Load average after: ${loadAvg}.`);
console.log('Goal: served / memcpy ≥ 0.25.');
console.log('');
console.log('| tensor | path | concurrency | req/s | served GB/s | memcpy GB/s | served / memcpy | bare echo GB/s | served / bare | server CPU ms / req |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.mb} MB | ${r.path} | ${r.c} | ${r.rps.toFixed(1)} | ${(r.served / 1e9).toFixed(2)} | ${(r.memcpy / 1e9).toFixed(1)} | ${(r.served / r.memcpy).toFixed(3)} | ${(r.bare / 1e9).toFixed(2)} | ${(r.served / r.bare).toFixed(2)} | ${(r.cpuPerReq / 1000).toFixed(1)} |`);
}
