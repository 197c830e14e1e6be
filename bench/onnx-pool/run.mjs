#!/usr/bin/env node
// bench/onnx-pool: the ONNX backend's data-plane cost and its footprint per model.
// (a) ONNX identity_fp32 over HTTP binary at concurrency 16 / a bare node:http server, same run;
// (b) ONNX identity p50 at c=1 minus the JS identity backend p50 (the added latency of the backend);
// (c) N tiny ONNX models (auto-completed: 2 instances each): all READY?, RSS per model over an empty
//     server, the server's thread count.
// INFERD_ROOT=<checkout> runs that checkout's server sources (for a before/after on one machine).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { list, median, medianCpu, startServer, stopServer } from '../lib/harness.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const root = process.env.INFERD_ROOT ?? fileURLToPath(new URL('../../', import.meta.url));
const durationMs = Number(process.env.BENCH_DURATION_MS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const COUNTS = list('BENCH_MODEL_COUNTS', ['200', '1000']).map(Number);
const ELEMENTS = 16;

/** `inferd serve` from `root`'s sources; resolves with { child, port } once HTTP listens. */
function serve(repo, extra = []) {
  const args = ['--import', 'tsx', join(root, 'packages/server/src/cli/main.ts'), 'serve', '--model-repository', repo,
    '--http-port', '0', '--grpc-port', '0', '--metrics-port', '0', ...extra];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let log = '';
    const onData = (d) => {
      log += d;
      const m = /Started HTTPService at [^:\s]+:(\d+)/.exec(log);
      if (m) { child.stdout.resume(); child.stderr.resume(); child.stdout.off('data', onData); child.stderr.off('data', onData); resolve({ child, port: Number(m[1]) }); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code, signal) => { if (!child.killedOnPurpose) reject(new Error(`serve exited (${code}, ${signal}): ${log.slice(-2000)}`)); });
  });
}

function bodies() {
  const data = Array.from({ length: ELEMENTS }, (_, i) => i * 0.5);
  const header = Buffer.from(JSON.stringify({
    inputs: [{ name: 'INPUT0', shape: [1, ELEMENTS], datatype: 'FP32', parameters: { binary_data_size: ELEMENTS * 4 } }],
    outputs: [{ name: 'OUTPUT0', parameters: { binary_data: true } }],
  }));
  return { body: Buffer.concat([header, Buffer.from(new Float32Array(data).buffer)]),
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) } };
}

function load(server, path, { body, headers }, concurrency) {
  const spec = { url: `http://127.0.0.1:${server.port}${path}`, headers, bodyBase64: body.toString('base64'), concurrency, durationMs, warmupMs: 1000, serverPid: server.child.pid };
  return JSON.parse(execFileSync(process.execPath, [here('../lib/load-client.mjs'), JSON.stringify(spec)], { encoding: 'utf8' }));
}

async function post(port, path, body = '', headers = {}) {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', body, headers });
  return { status: r.status, headers: r.headers, body: Buffer.from(await r.arrayBuffer()) };
}

const status = (pid) => readFileSync(`/proc/${pid}/status`, 'utf8');
const rssMiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(status(pid))[1]) / 1024;
const threadsOf = (pid) => readdirSync(`/proc/${pid}/task`).length;
const settle = () => new Promise((r) => setTimeout(r, 2000));

const out = [];
// (a) and (b)
{
  const examples = join(root, 'examples/models');
  const repo = mkdtempSync(join(tmpdir(), 'inferd-onnxpool-'));
  symlinkSync(join(examples, 'identity_fp32'), join(repo, 'identity_fp32'));
  // The same model.onnx with nothing but its backend named: auto-complete gives it max_batch_size and dynamic
  // batching, as Triton's onnxruntime backend does for a model with a variable first dimension.
  mkdirSync(join(repo, 'identity_fp32_auto', '1'), { recursive: true });
  symlinkSync(join(examples, 'identity_fp32', '1', 'model.onnx'), join(repo, 'identity_fp32_auto', '1', 'model.onnx'));
  writeFileSync(join(repo, 'identity_fp32_auto', 'config.pbtxt'), 'backend: "onnxruntime"\n');
  mkdirSync(join(repo, 'identity_js', '1'), { recursive: true });
  writeFileSync(join(repo, 'identity_js', 'config.pbtxt'), 'backend: "identity"\nmax_batch_size: 8\ninput [{ name: "INPUT0" data_type: TYPE_FP32 dims: [-1] }]\noutput [{ name: "OUTPUT0" data_type: TYPE_FP32 dims: [-1] }]\ninstance_group [{ count: 1 kind: KIND_CPU }]\n');
  const b = bodies();
  const inferd = await serve(repo);
  const sample = await post(inferd.port, '/v2/models/identity_fp32/infer', b.body, b.headers);
  if (sample.status !== 200) throw new Error(`inferd answered ${sample.status}: ${sample.body}`);
  const autoSample = await post(inferd.port, '/v2/models/identity_fp32_auto/infer', b.body, b.headers);
  if (autoSample.status !== 200) throw new Error(`inferd answered ${autoSample.status} for the auto-completed model: ${autoSample.body}`);
  const replyHeaders = { 'content-type': sample.headers.get('content-type'), 'inference-header-content-length': sample.headers.get('inference-header-content-length') };
  const bare = await startServer([here('../http-overhead/bare-server.mjs'), sample.body.toString('base64'), JSON.stringify(replyHeaders)]);
  const runs = { bare16: [], onnx16: [], onnx1: [], js1: [], auto16: [], js16: [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      runs.bare16.push(load(bare, '/v2/models/identity_fp32/infer', b, 16));
      runs.onnx16.push(load(inferd, '/v2/models/identity_fp32/infer', b, 16));
      runs.onnx1.push(load(inferd, '/v2/models/identity_fp32/infer', b, 1));
      runs.js1.push(load(inferd, '/v2/models/identity_js/infer', b, 1));
      runs.auto16.push(load(inferd, '/v2/models/identity_fp32_auto/infer', b, 16));
      runs.js16.push(load(inferd, '/v2/models/identity_js/infer', b, 16));
    }
  } finally {
    stopServer(bare);
    inferd.child.killedOnPurpose = true;
    inferd.child.kill();
    rmSync(repo, { recursive: true, force: true });
  }
  const p50 = (rs) => [...rs].map((r) => r.p50us).sort((x, y) => x - y)[rs.length >> 1];
  const [o16, b16] = [median(runs.onnx16), median(runs.bare16)];
  out.push(`(a) ONNX identity_fp32, HTTP binary, c=16: ${o16.rps.toFixed(0)} req/s; bare node:http ${b16.rps.toFixed(0)} req/s; ratio ${(o16.rps / b16.rps).toFixed(2)} (goal >= 0.6); server CPU ${medianCpu(runs.onnx16).toFixed(1)} µs/req (bare ${medianCpu(runs.bare16).toFixed(1)})`);
  const a16 = median(runs.auto16);
  out.push(`(a') same model auto-completed (dynamic batching), c=16: ${a16.rps.toFixed(0)} req/s; ratio ${(a16.rps / b16.rps).toFixed(2)} (goal >= 0.85); server CPU ${medianCpu(runs.auto16).toFixed(1)} µs/req`);
  // Not a goal: the JS identity backend through the same frontend shows what the HTTP path alone reaches.
  out.push(`    reference: JS identity backend, c=16: ${median(runs.js16).rps.toFixed(0)} req/s; ratio ${(median(runs.js16).rps / b16.rps).toFixed(2)}; server CPU ${medianCpu(runs.js16).toFixed(1)} µs/req`);
  out.push(`(b) c=1 p50: ONNX identity ${p50(runs.onnx1).toFixed(0)} µs, JS identity ${p50(runs.js1).toFixed(0)} µs; added ${(p50(runs.onnx1) - p50(runs.js1)).toFixed(0)} µs (goal <= 25)`);
}
// (c)
const empty = mkdtempSync(join(tmpdir(), 'inferd-onnxpool-empty-'));
const e = await serve(empty, ['--strict-readiness=false']);
await settle();
const emptyRss = rssMiB(e.child.pid);
const emptyThreads = threadsOf(e.child.pid);
e.child.killedOnPurpose = true;
e.child.kill();
rmSync(empty, { recursive: true, force: true });
out.push('', `(c) empty server: ${emptyRss.toFixed(0)} MiB RSS, ${emptyThreads} threads. Goal: all READY, <= 3 MB/model, <= 64 threads.`, '',
  '| models | load s | READY | RSS MiB | MiB/model over empty | threads |', '|---|---|---|---|---|---|');
const model = execFileSync(process.execPath, ['--import', 'tsx', '-e',
  `import('${join(root, 'scripts/onnx-builder.ts')}').then((m) => process.stdout.write(Buffer.from(m.identityModel('FLOAT', [4], { input: 'x', output: 'y' })).toString('base64')))`], { cwd: root, encoding: 'utf8' });
for (const n of COUNTS) {
  const repo = mkdtempSync(join(tmpdir(), 'inferd-onnxpool-many-'));
  for (let i = 0; i < n; i++) {
    mkdirSync(join(repo, `tiny_${i}`, '1'), { recursive: true });
    writeFileSync(join(repo, `tiny_${i}`, 'config.pbtxt'), 'backend: "onnxruntime"\n');
    writeFileSync(join(repo, `tiny_${i}`, '1', 'model.onnx'), Buffer.from(model, 'base64'));
  }
  const t0 = performance.now();
  let row;
  try {
    const s = await serve(repo, ['--exit-on-error=false', '--strict-readiness=false']);
    const loadS = (performance.now() - t0) / 1000;
    const index = JSON.parse((await post(s.port, '/v2/repository/index', '{}')).body.toString());
    const ready = index.filter((m) => m.state === 'READY').length;
    await settle();
    const rss = rssMiB(s.child.pid);
    row = `| ${n} | ${loadS.toFixed(1)} | ${ready}/${n} | ${rss.toFixed(0)} | ${((rss - emptyRss) / n).toFixed(2)} | ${threadsOf(s.child.pid)} |`;
    s.child.killedOnPurpose = true;
    s.child.kill();
  } catch (err) {
    row = `| ${n} | — | failed: ${String(err.message).split('\n')[0].slice(0, 120)} | | | |`;
  }
  out.push(row);
  rmSync(repo, { recursive: true, force: true });
}
console.log(out.join('\n'));
