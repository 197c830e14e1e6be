#!/usr/bin/env node
// bench/python-pipeline (issue 15): a Python model whose execute takes a fixed time per batch (a sleep: the
// stub waits as it would on a GPU), 600 KB FP32 inputs ([3,224,224]), dynamic batching up to 32, one
// instance; closed loop at concurrency 32 over HTTP binary tensors (the built CLI, load from a separate
// process) and in-process (`server.infer`). With BENCH_BASE=<a checkout with `npm run build` done> the same
// rows run against that build too (e.g. main), rounds alternating base/this, medians reported side by side.
// Env: BENCH_BASE, BENCH_ROUNDS (3), BENCH_DURATION_MS (4000), BENCH_CONCURRENCY (32), BENCH_MAX_BATCH (32),
// BENCH_QUEUE_DELAY_US (0), BENCH_EXEC_MS (10), BENCH_ROWS (http,inprocess).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { list, median, medianCpu, startCli, stopServer } from '../lib/harness.mjs';
import { makeRepo } from './make-repo.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const root = here('../../');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const durationMs = Number(process.env.BENCH_DURATION_MS ?? 4000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const MAX_BATCH = Number(process.env.BENCH_MAX_BATCH ?? 32);
const DELAY_US = Number(process.env.BENCH_QUEUE_DELAY_US ?? 0);
const EXEC_MS = Number(process.env.BENCH_EXEC_MS ?? 10);
const ROWS = list('BENCH_ROWS', ['http', 'inprocess']);
const FLOATS = 3 * 224 * 224;

const variants = [{ name: 'this', root }];
if (process.env.BENCH_BASE) variants.unshift({ name: 'base', root: process.env.BENCH_BASE });

function httpBody(dir) {
  const header = Buffer.from(JSON.stringify({
    inputs: [{ name: 'INPUT0', shape: [1, 3, 224, 224], datatype: 'FP32', parameters: { binary_data_size: FLOATS * 4 } }],
    outputs: [{ name: 'OUTPUT0', parameters: { binary_data: true } }],
  }));
  const file = join(dir, 'body.bin');
  writeFileSync(file, Buffer.concat([header, Buffer.from(new Float32Array(FLOATS).fill(0.5).buffer)]));
  return { file, headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) } };
}

async function httpRound(variant, repo, body) {
  process.env.BENCH_CLI = join(variant.root, 'packages/server/dist/cli/main.js');
  const server = await startCli(['--model-repository', repo, '--http-port', '0', '--http-address', '127.0.0.1', '--allow-grpc=false', '--allow-metrics=false']);
  try {
    const spec = {
      url: `http://127.0.0.1:${server.port}/v2/models/pipe_py/infer`, headers: body.headers, bodyFile: body.file,
      concurrency: CONCURRENCY, durationMs, warmupMs: 1500, serverPid: server.child.pid,
    };
    const load = JSON.parse(execFileSync(process.execPath, [here('../lib/load-client.mjs'), JSON.stringify(spec)], { encoding: 'utf8' }));
    const stats = await (await fetch(`http://127.0.0.1:${server.port}/v2/models/pipe_py/stats`)).json();
    const s = stats.model_stats[0];
    return { ...load, inferences: s.inference_count, executions: s.execution_count };
  } finally {
    stopServer(server);
  }
}

function inprocessRound(variant, repo) {
  const spec = { repo, concurrency: CONCURRENCY, durationMs, warmupMs: 1500 };
  const out = execFileSync(process.execPath, [here('./inprocess.mjs'), join(variant.root, 'packages/server/dist/index.js'), JSON.stringify(spec)], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'],
  });
  return JSON.parse(out.trim().split('\n').at(-1));
}

const loadAtStart = loadavg();
const repo = makeRepo({ maxBatch: MAX_BATCH, delayUs: DELAY_US, execMs: EXEC_MS });
const scratch = mkdtempSync(join(tmpdir(), 'inferd-pipeline-body-'));
const body = httpBody(scratch);
const results = {};
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const row of ROWS) {
      for (const v of variants) {
        const r = row === 'http' ? await httpRound(v, repo, body) : inprocessRound(v, repo);
        (results[`${row}/${v.name}`] ??= []).push(r);
        console.error(`round ${round + 1} ${row} ${v.name}: ${r.rps.toFixed(0)} req/s, mean batch ${(r.inferences / r.executions).toFixed(1)}, errors ${r.errors}${r.firstError ? ` (${r.firstError})` : ''}`);
      }
    }
  }
} finally {
  rmSync(repo, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
}

const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const lines = [
  `python-pipeline: Python model, [3,224,224] FP32 input (600 KB), execute = sleep ${EXEC_MS} ms per batch, max_batch_size ${MAX_BATCH}, ` +
    `dynamic_batching { max_queue_delay_microseconds: ${DELAY_US} }, 1 instance; closed loop c=${CONCURRENCY}; median of ${ROUNDS} alternating rounds of ${durationMs} ms. ` +
    `Load average at start ${loadAtStart.map((l) => l.toFixed(1)).join(', ')}, at end ${loadavg().map((l) => l.toFixed(1)).join(', ')}.`,
  `Ideal with the stub never idle: ${fmt((1000 / EXEC_MS) * MAX_BATCH)} req/s at full batches. mean batch = inferences / executions over the round (warm-up included).\n`,
  '| row | build | req/s | p50 ms | p99 ms | mean batch | server CPU µs/req | errors | req/s ratio this/base |',
  '|---|---|---|---|---|---|---|---|---|',
];
for (const row of ROWS) {
  const base = results[`${row}/base`] ? median(results[`${row}/base`]) : undefined;
  for (const v of variants) {
    const rs = results[`${row}/${v.name}`];
    const r = median(rs);
    const errors = rs.reduce((n, x) => n + x.errors, 0);
    const ratio = v.name === 'this' && base !== undefined ? fmt(r.rps / base.rps, 2) : '';
    lines.push(`| ${row} | ${v.name} | ${fmt(r.rps)} | ${fmt(r.p50us / 1000, 1)} | ${fmt(r.p99us / 1000, 1)} | ${fmt(r.inferences / r.executions, 1)} | ` +
      `${row === 'http' ? fmt(medianCpu(rs), 0) : 'n/a'} | ${errors} | ${ratio} |`);
  }
}
process.stdout.write(`${lines.join('\n')}\n`);
