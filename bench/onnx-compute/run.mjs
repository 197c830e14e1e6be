#!/usr/bin/env node
// bench/onnx-compute: compute-bound ONNX models served by inferd over HTTP binary at saturation vs raw
// onnxruntime-node in one process at saturation, in one run. The raw side is one session with intra-op
// threads = the machine's logical cores; the served side is what a user gets from the model's config with inferd's defaults
// (instances, pool threads, ORT threads), loaded by closed loops at twice the instance count. The goal
// (issue 14) is served / raw >= 0.97: the server adds nothing that matters when the model is the cost.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closedLoop } from '../lib/closed-loop.mjs';
import { list, startCli, stopServer } from '../lib/harness.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const durationMs = Number(process.env.BENCH_DURATION_MS ?? 10000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const MODELS = {
  resnet50: { input: 'input', dims: [1, 3, 224, 224] },
  ocr_det: { input: 'x', dims: [1, 3, 640, 640] },
};
const NAMES = list('BENCH_MODELS', Object.keys(MODELS));

function binaryBody(name, dims) {
  const count = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count).map((_, i) => (i % 255) / 255);
  const header = Buffer.from(JSON.stringify({
    inputs: [{ name, shape: dims, datatype: 'FP32', parameters: { binary_data_size: data.byteLength } }],
  }));
  return { body: Buffer.concat([header, Buffer.from(data.buffer)]), headerLength: header.length };
}

function served(port, model, { input, dims }, concurrency, serverPid) {
  const { body, headerLength } = binaryBody(input, dims);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const headers = {
    'content-type': 'application/octet-stream', 'inference-header-content-length': String(headerLength),
    'content-length': String(body.length),
  };
  const send = () => new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: `/v2/models/${model}/infer`, method: 'POST', headers, agent }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve(res.statusCode === 200 ? undefined : `HTTP ${res.statusCode}`));
    });
    req.on('error', (e) => resolve(e.message));
    req.end(body);
  });
  return closedLoop({ send, concurrency, warmupMs: 2000, durationMs, serverPid }).finally(() => agent.destroy());
}

const threadsOf = (pid) => Number(/^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);

async function instanceCount(port, model) {
  const res = await fetch(`http://127.0.0.1:${port}/v2/models/${model}/config`);
  const config = await res.json();
  return (config.instance_group ?? []).reduce((n, g) => n + (g.count ?? 1), 0) || 1;
}

const repo = execFileSync(process.execPath, ['--import', 'tsx', here('./make-repo.ts')], { encoding: 'utf8' }).trim();
const rows = [];
try {
  for (const model of NAMES) {
    const spec = MODELS[model];
    const raws = [];
    const serveds = [];
    let instances = 1;
    for (let round = 0; round < ROUNDS; round++) {
      raws.push(JSON.parse(execFileSync(process.execPath, [
        here('./raw.mjs'), join(repo, model, '1', 'model.onnx'), spec.input, spec.dims.join(','), String(durationMs),
      ], { encoding: 'utf8' })));
      const server = await startCli([
        '--model-repository', repo, '--http-port', '0', '--http-address', '127.0.0.1', '--allow-grpc=false',
        '--allow-metrics=false', '--model-control-mode=explicit', `--load-model=${model}`,
      ]);
      try {
        instances = await instanceCount(server.port, model);
        const r = await served(server.port, model, spec, 2 * instances, server.child.pid);
        if (r.errors > 0) throw new Error(`${model}: ${r.errors} failed requests (${r.firstError})`);
        serveds.push({ ...r, threads: threadsOf(server.child.pid) });
      } finally {
        stopServer(server);
      }
    }
    const best = (rs) => Math.max(...rs.map((r) => r.rps));
    rows.push({ model, dims: spec.dims.join('×'), instances, raw: best(raws), served: best(serveds), p50: serveds.at(-1).p50us,
      rawThreads: raws.at(-1).threads, servedThreads: serveds.at(-1).threads });
  }
} finally {
  rmSync(repo, { recursive: true, force: true });
}

const load = execFileSync('uptime', { encoding: 'utf8' }).trim().replace(/.*load average: /, '');
console.log(`Compute-bound ONNX at saturation: inferd over HTTP binary (closed loops at 2× the model's instances, inferd's`);
console.log(`defaults) vs raw onnxruntime-node (one session, intra-op threads = logical cores, run back to back), best of ${ROUNDS} rounds`);
console.log(`of ${durationMs / 1000} s each, alternating. Load average after: ${load}. Goal: served / raw ≥ 0.97.`);
console.log('');
console.log('| model | input | instances | raw inf/s | served req/s | served / raw | served p50 ms | threads raw / served process |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.model} | ${r.dims} | ${r.instances} | ${r.raw.toFixed(1)} | ${r.served.toFixed(1)} | ${(r.served / r.raw).toFixed(2)} | ${(r.p50 / 1000).toFixed(1)} | ${r.rawThreads} / ${r.servedThreads} |`);
}
