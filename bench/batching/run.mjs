#!/usr/bin/env node
// bench/batching: what the dynamic batcher buys on a small model. The built CLI serves one 2-layer MLP
// (64 -> 256 -> 64 FP32, generated with GraphBuilder) twice with the same instance count and
// max_batch_size: `mlp_off` on the default scheduler (one request per execution) and `mlp_on` with
// `dynamic_batching { max_queue_delay_microseconds: <small> }`. A separate load process keeps 32
// closed-loop HTTP connections busy with binary-tensor requests of one row each; rounds alternate
// off/on and the median is reported with its p50/p99 and the on/off throughput ratio (goal >= 2.0x).
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import http from 'node:http';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { median, medianCpu, startCli, stopServer } from '../lib/harness.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const durationMs = Number(process.env.BENCH_DURATION_MS ?? 3000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const MAX_BATCH = Number(process.env.BENCH_MAX_BATCH ?? 32);
const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 2);
const DELAY_US = Number(process.env.BENCH_QUEUE_DELAY_US ?? 500);
const IN = 64;
const OUT = 64;

function body() {
  const data = new Float32Array(IN).map((_, i) => Math.sin(i));
  const header = Buffer.from(JSON.stringify({
    inputs: [{ name: 'INPUT0', shape: [1, IN], datatype: 'FP32', parameters: { binary_data_size: IN * 4 } }],
    outputs: [{ name: 'OUTPUT0', parameters: { binary_data: true } }],
  }));
  return {
    body: Buffer.concat([header, Buffer.from(data.buffer)]),
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) },
  };
}

function request(port, method, path, payload, headers = {}) {
  return new Promise((resolve, reject) => {
    // agent: false: a pooled keep-alive socket would go stale while execFileSync blocks this process.
    const req = http.request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', (e) => reject(new Error(`request to :${port}${path} failed: ${e.message}`)));
    req.end(payload);
  });
}

async function getJson(port, path) {
  const r = await request(port, 'GET', path);
  if (r.status !== 200) throw new Error(`GET ${path} answered ${r.status}: ${r.body}`);
  return JSON.parse(r.body.toString('utf8'));
}

/** OUTPUT0 of one answer (binary extension: JSON header, then the raw FP32 bytes). */
function output(r) {
  if (r.status !== 200) throw new Error(`infer answered ${r.status}: ${r.body}`);
  const n = Number(r.headers['inference-header-content-length']);
  const bytes = r.body.subarray(n);
  if (bytes.length !== OUT * 4) throw new Error(`expected ${OUT * 4} output bytes, got ${bytes.length}`);
  return [...new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length))];
}

async function counts(port, model) {
  const s = (await getJson(port, `/v2/models/${model}/stats`)).model_stats[0];
  return { inferences: s.inference_count, executions: s.execution_count };
}

function load(server, model, { body: payload, headers }) {
  const spec = {
    url: `http://127.0.0.1:${server.port}/v2/models/${model}/infer`, headers, bodyBase64: payload.toString('base64'),
    concurrency: CONCURRENCY, durationMs, warmupMs: 1000, serverPid: server.child.pid,
  };
  const out = execFileSync(process.execPath, [here('../lib/load-client.mjs'), JSON.stringify(spec)], { encoding: 'utf8' });
  return JSON.parse(out);
}

const loadAtStart = loadavg()[0];
const repo = execFileSync(process.execPath, ['--import', 'tsx', here('./make-repo.ts'), String(MAX_BATCH), String(INSTANCES), String(DELAY_US)], {
  encoding: 'utf8',
}).trim();
const MODELS = ['mlp_off', 'mlp_on'];
const runs = { mlp_off: [], mlp_on: [] };
const meanBatch = {};
const server = await startCli([
  '--model-repository', repo, '--http-port', '0', '--http-address', '127.0.0.1', '--allow-grpc=false', '--allow-metrics=false',
]);
try {
  // The two models differ only in scheduling, and both give the same answer.
  for (const model of MODELS) {
    const config = await getJson(server.port, `/v2/models/${model}/config`);
    const batching = config.dynamic_batching !== undefined && config.dynamic_batching !== null;
    if (batching !== (model === 'mlp_on')) throw new Error(`${model}: dynamic_batching ${JSON.stringify(config.dynamic_batching)}`);
  }
  const b = body();
  const [off, on] = await Promise.all(MODELS.map((m) => request(server.port, 'POST', `/v2/models/${m}/infer`, b.body, b.headers)));
  if (JSON.stringify(output(off)) !== JSON.stringify(output(on))) throw new Error('mlp_off and mlp_on disagree');

  // Models alternate round by round so drift on a shared machine hits both alike; medians are reported.
  const before = Object.fromEntries(await Promise.all(MODELS.map(async (m) => [m, await counts(server.port, m)])));
  for (let round = 0; round < ROUNDS; round++) {
    for (const model of MODELS) runs[model].push(load(server, model, b));
  }
  for (const model of MODELS) {
    const now = await counts(server.port, model);
    const d = { inferences: now.inferences - before[model].inferences, executions: now.executions - before[model].executions };
    meanBatch[model] = d.executions === 0 ? NaN : d.inferences / d.executions;
  }
} finally {
  stopServer(server);
  rmSync(repo, { recursive: true, force: true });
}

const rows = MODELS.map((model) => {
  const r = median(runs[model]);
  return {
    model, rps: r.rps, p50us: r.p50us, p99us: r.p99us, cpuUs: medianCpu(runs[model]), meanBatch: meanBatch[model],
    errors: runs[model].reduce((n, x) => n + x.errors, 0),
  };
});
const ratio = rows[1].rps / rows[0].rps;
const cpuRatio = rows[0].cpuUs / rows[1].cpuUs;
const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const lines = [
  `batching: 2-layer MLP ${IN}->256->${OUT} FP32 on ONNX Runtime (${INSTANCES} instance${INSTANCES === 1 ? '' : 's'}, max_batch_size ${MAX_BATCH}), ` +
    `served by the built CLI; HTTP binary tensors, one row per request, ${CONCURRENCY} closed-loop connections from a separate process; ` +
    `median of ${ROUNDS} alternating rounds of ${durationMs} ms; 1-min load average at start ${fmt(loadAtStart, 1)}.\n` +
    `off = default scheduler (one request per execution); on = dynamic_batching { max_queue_delay_microseconds: ${DELAY_US} }.\n` +
    'mean batch = inferences / executions from the model\'s statistics over all rounds (warm-ups included). ' +
    'server CPU µs/req = the server process\'s user+system CPU time (all threads) over the measured window / requests answered; ' +
    'its off/on ratio is steadier than req/s when other work shares the cores.\n',
  '| dynamic batching | concurrency | req/s | p50 µs | p99 µs | mean batch | server CPU µs/req | req/s ratio on/off | CPU/req ratio off/on |',
  '|---|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => {
    const on = r.model === 'mlp_on';
    return `| ${on ? 'on' : 'off'} | ${CONCURRENCY} | ${fmt(r.rps)} | ${fmt(r.p50us)} | ${fmt(r.p99us)} | ${fmt(r.meanBatch, 1)} | ${fmt(r.cpuUs, 1)} | ` +
      `${on ? fmt(ratio, 2) : '1.00'} | ${on ? fmt(cpuRatio, 2) : '1.00'} |`;
  }),
];
console.log(lines.join('\n'));
if (rows.some((r) => r.errors > 0)) {
  console.error('errors during the run:', rows.filter((r) => r.errors > 0));
  process.exit(1);
}
