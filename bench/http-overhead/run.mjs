#!/usr/bin/env node
// bench/http-overhead: req/s of inferd's HTTP frontend vs a bare node:http server that parses the same
// body and returns a fixed reply of the same size, for JSON and binary tensors at concurrency 1 and 16.
// Everything runs in this process tree: server processes and a separate load-generator process.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { list, median, medianCpu, startServer, stopServer } from '../lib/harness.mjs';
import http from 'node:http';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const durationMs = Number(process.env.BENCH_DURATION_MS ?? 2000);
const ELEMENTS = 16;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MODELS = list('BENCH_MODELS', ['identity_js', 'identity_fp32']);
const ENCODINGS = list('BENCH_ENCODINGS', ['json', 'binary']);
const CONCURRENCIES = list('BENCH_CONCURRENCY', ['1', '16']).map(Number);

function bodies() {
  const data = Array.from({ length: ELEMENTS }, (_, i) => i * 0.5);
  const json = Buffer.from(JSON.stringify({
    inputs: [{ name: 'INPUT0', shape: [1, ELEMENTS], datatype: 'FP32', data }],
  }));
  const header = Buffer.from(JSON.stringify({
    inputs: [{ name: 'INPUT0', shape: [1, ELEMENTS], datatype: 'FP32', parameters: { binary_data_size: ELEMENTS * 4 } }],
    outputs: [{ name: 'OUTPUT0', parameters: { binary_data: true } }],
  }));
  const binary = Buffer.concat([header, Buffer.from(new Float32Array(data).buffer)]);
  return {
    json: { body: json, headers: { 'content-type': 'application/json' } },
    binary: { body: binary, headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) } },
  };
}

function request(port, path, body, headers) {
  return new Promise((resolve, reject) => {
    // agent: false: a pooled keep-alive socket would go stale while execFileSync blocks this process.
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', (e) => reject(new Error(`request to :${port}${path} failed: ${e.message}`)));
    req.end(body);
  });
}

function load(server, path, body, headers, concurrency) {
  const spec = {
    url: `http://127.0.0.1:${server.port}${path}`, headers, bodyBase64: body.toString('base64'), concurrency, durationMs,
    warmupMs: 1000, serverPid: server.child.pid,
  };
  const out = execFileSync(process.execPath, [here('../lib/load-client.mjs'), JSON.stringify(spec)], { encoding: 'utf8' });
  return JSON.parse(out);
}

const inferd = await startServer(['--import', 'tsx', here('./inferd-server.ts')]);
const rows = [];
try {
  const b = bodies();
  for (const [encoding, { body, headers }] of Object.entries(b).filter(([e]) => ENCODINGS.includes(e))) {
    // The bare server replies with inferd's own reply bytes for this request, so both move the same data.
    const sample = await request(inferd.port, '/v2/models/identity_js/infer', body, headers);
    if (sample.status !== 200) throw new Error(`inferd answered ${sample.status}: ${sample.body}`);
    const replyHeaders = { 'content-type': sample.headers['content-type'] };
    if (sample.headers['inference-header-content-length'] !== undefined) {
      replyHeaders['inference-header-content-length'] = sample.headers['inference-header-content-length'];
    }
    const bare = await startServer([here('./bare-server.mjs'), sample.body.toString('base64'), JSON.stringify(replyHeaders)]);
    try {
      for (const concurrency of CONCURRENCIES) {
        // Targets alternate round by round so drift on a shared machine hits all of them alike; the
        // median of the rounds is reported.
        const runs = { bare: [], ...Object.fromEntries(MODELS.map((m) => [m, []])) };
        for (let round = 0; round < ROUNDS; round++) {
          runs.bare.push(load(bare, '/v2/models/identity_js/infer', body, headers, concurrency));
          for (const model of MODELS) {
            runs[model].push(load(inferd, `/v2/models/${model}/infer`, body, headers, concurrency));
          }
        }
        const base = median(runs.bare);
        for (const model of MODELS) {
          const r = median(runs[model]);
          const errors = runs[model].reduce((n, x) => n + x.errors, 0);
          rows.push({
            model, encoding, concurrency, rps: r.rps, p50us: r.p50us, errors, bareRps: base.rps, ratio: r.rps / base.rps,
            cpuUs: medianCpu(runs[model]), bareCpuUs: medianCpu(runs.bare),
          });
        }
      }
    } finally {
      stopServer(bare);
    }
  }
} finally {
  stopServer(inferd);
}

const fmt = (n, d = 0) => n.toFixed(d);
const lines = [
  `http-overhead: ${ELEMENTS} FP32 elements per request; median of ${ROUNDS} alternating rounds of ${durationMs} ms; load from a separate process.\n` +
    'identity_js = built-in JS identity backend (HTTP + core cost only); identity_fp32 = the example ONNX model on ONNX Runtime worker threads.\n' +
    'server CPU µs/req = the server process\'s user+system CPU time (all threads, /proc/<pid>/stat) over the measured window / requests answered.\n',
  '| model | tensors | concurrency | inferd req/s | p50 µs | bare node:http req/s | ratio | inferd server CPU µs/req | bare server CPU µs/req |',
  '|---|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.model} | ${r.encoding} | ${r.concurrency} | ${fmt(r.rps)} | ${fmt(r.p50us)} | ${fmt(r.bareRps)} | ${fmt(r.ratio, 2)} | ${fmt(r.cpuUs, 1)} | ${fmt(r.bareCpuUs, 1)} |`),
];
console.log(lines.join('\n'));
if (rows.some((r) => r.errors > 0)) {
  console.error('errors during the run:', rows.filter((r) => r.errors > 0));
  process.exit(1);
}
