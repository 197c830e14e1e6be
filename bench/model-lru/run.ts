// bench/model-lru (issue 19): many small ONNX models, few of them loaded. 1000 tiny ONNX models
// (Identity FP32 [4], 1 CPU instance each) in one repository; a Zipf-distributed (s = 1) request stream
// over them from @inferd/client HttpClient clients (tritonclient-style), against two servers (the built
// CLI, child processes, one after the other on this machine):
//   lru: --model-control-mode=explicit --model-load-on-demand=true --model-max-loaded=50 (nothing loaded at start)
//   all: --model-control-mode=explicit --load-model=* (all 1000 loaded at start; every request a hit)
// Phase A, one client, requests one after another: the client replays the server's LRU (50 slots, every
// model idle between requests), so each request is known to be a hit or a miss; the server's counters
// (inferd_model_load_wait_seconds_count) are checked against that. p50/p99 of hits and misses.
// Phase B, 4 clients at once: hit rate from the server's counters, p50/p99 of all requests.
// Peak RSS = VmHWM of the server process over the run; the goal compares the lru peak with the empty
// server's RSS plus 50 models' worth (per model: the all server's RSS over a one-model server, / 999);
// a second figure starts from the one-model server (ONNX Runtime's fixed cost included).
//
//   npx tsx bench/model-lru/run.ts   (BENCH_MODELS=1000 BENCH_MAX_LOADED=50 BENCH_REQUESTS=3000 BENCH_CLIENTS=4)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpClient, InferInput } from '../../packages/client/dist/index.js';
import { GraphBuilder, identityModel } from '../../scripts/onnx-builder.js';
// @ts-expect-error a plain .mjs helper without types
import { cliCommand } from '../lib/cli-command.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const MODELS = Number(process.env.BENCH_MODELS ?? 1000);
const MAX_LOADED = Number(process.env.BENCH_MAX_LOADED ?? 50);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 3000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 4);
// BENCH_WEIGHT_KB > 0: each model also holds that many KiB of FP32 weights (a Gather from them), as tenant models
// with real weights do; 0 (default): bare Identity models, where ONNX Runtime's and V8's fixed costs dominate.
const WEIGHT_KB = Number(process.env.BENCH_WEIGHT_KB ?? 0);
const ZIPF_S = 1;
const MiB = 1 << 20;

function makeRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-model-lru-'));
  const model = WEIGHT_KB > 0 ? gatherModel(WEIGHT_KB * 256) : identityModel('FLOAT', [4]);
  const config = 'platform: "onnxruntime_onnx"\nmax_batch_size: 0\n'
    + 'input [{ name: "INPUT0" data_type: TYPE_FP32 dims: [4] }]\noutput [{ name: "OUTPUT0" data_type: TYPE_FP32 dims: [4] }]\n'
    + 'instance_group [{ count: 1 kind: KIND_CPU }]\n';
  for (let i = 0; i < MODELS; i++) {
    mkdirSync(join(dir, `m${i}`, '1'), { recursive: true });
    writeFileSync(join(dir, `m${i}`, 'config.pbtxt'), config);
    writeFileSync(join(dir, `m${i}`, '1', 'model.onnx'), model);
  }
  return dir;
}

/** OUTPUT0 = W[int(INPUT0)] with W[i] = i (`n` floats): answers [1, 2, 3, 4] like the Identity, and keeps W resident. */
function gatherModel(n: number): Uint8Array {
  return new GraphBuilder('gather_weights')
    .input('INPUT0', 'FLOAT', [4])
    .initializer('W', 'FLOAT', [n], Array.from({ length: n }, (_, i) => i))
    .node('Cast', ['INPUT0'], ['idx'], { to: { int: 7 } })
    .node('Gather', ['W', 'idx'], ['OUTPUT0'])
    .output('OUTPUT0', 'FLOAT', [4])
    .toBytes();
}

interface Server { child: ChildProcess; port: number; metricsPort: number }

function startServer(repo: string, extra: string[]): Promise<Server> {
  const main = join(root, 'packages/server/dist/cli/main.js');
  const [command, argv, env] = cliCommand(main, ['serve', '--model-repository', repo, '--http-port', '0', '--http-address', '127.0.0.1', '--allow-grpc', 'false',
    '--metrics-port', '0', '--metrics-address', '127.0.0.1', '--strict-readiness', 'false', ...extra,
  ]);
  const child = spawn(command, argv, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let log = '';
    const onData = (d: Buffer): void => {
      log += d;
      const m = /Started HTTPService at [^:\s]+:(\d+)/.exec(log);
      const metrics = /Started Metrics Service at [^:\s]+:(\d+)/.exec(log);
      if (m && metrics) {
        child.stdout!.off('data', onData);
        child.stderr!.off('data', onData);
        child.stdout!.resume();
        child.stderr!.resume();
        resolve({ child, port: Number(m[1]), metricsPort: Number(metrics[1]) });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`inferd serve exited with ${code}:\n${log.slice(-3000)}`)));
  });
}

async function stop(s: Server): Promise<void> {
  s.child.removeAllListeners('exit');
  const gone = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGKILL');
  await gone;
}

function memory(pid: number): { rss: number; hwm: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(text)![1]) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

async function metric(s: Server, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${s.metricsPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** A seeded Zipf(s) stream of model indexes (rank 0 the most requested). */
function zipfStream(n: number, count: number, seed: number): number[] {
  const weights = Array.from({ length: n }, (_, k) => 1 / (k + 1) ** ZIPF_S);
  const total = weights.reduce((a, b) => a + b, 0);
  const cdf: number[] = [];
  let acc = 0;
  for (const w of weights) cdf.push((acc += w / total));
  let x = seed >>> 0;
  const rand = (): number => {
    x = (x * 1664525 + 1013904223) >>> 0; // LCG: the same stream for both servers
    return x / 2 ** 32;
  };
  // Ranks are spread over the model names so that popular models are not the first ones on disk.
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  return Array.from({ length: count }, () => {
    const u = rand();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return perm[lo]!;
  });
}

const input = (): InferInput => new InferInput('INPUT0', [4], 'FP32').setData([1, 2, 3, 4]);

async function one(client: HttpClient, model: number): Promise<number> {
  const t0 = performance.now();
  const r = await client.infer(`m${model}`, [input()]);
  const y = r.asTypedArray('OUTPUT0') as Float32Array;
  if (y[3] !== 4) throw new Error(`m${model} answered ${[...y]}`);
  return performance.now() - t0;
}

const pct = (xs: number[], p: number): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const ms = (v: number): string => (Number.isNaN(v) ? '—' : v < 10 ? v.toFixed(2) : v.toFixed(1));

interface PhaseA { hits: number[]; misses: number[]; serverMisses: number }
interface PhaseB { all: number[]; serverMisses: number; seconds: number }

/** One client, one request at a time; a client-side LRU replay tells hits from misses. */
async function phaseA(s: Server, stream: number[], lru: boolean): Promise<PhaseA> {
  const client = new HttpClient(`127.0.0.1:${s.port}`);
  const resident: number[] = []; // least recently used first
  const hits: number[] = [];
  const misses: number[] = [];
  const before = await metric(s, 'inferd_model_load_wait_seconds_count', '{outcome="loaded"}');
  for (const m of stream) {
    const at = resident.indexOf(m);
    const hit = !lru || at >= 0;
    if (at >= 0) resident.splice(at, 1);
    else if (resident.length >= MAX_LOADED) resident.shift();
    resident.push(m);
    (hit ? hits : misses).push(await one(client, m));
  }
  client.close();
  return { hits, misses, serverMisses: (await metric(s, 'inferd_model_load_wait_seconds_count', '{outcome="loaded"}')) - before };
}

/** CLIENTS clients at once, each taking the next request of the stream. */
async function phaseB(s: Server, stream: number[]): Promise<PhaseB> {
  const before = await metric(s, 'inferd_model_load_wait_seconds_count', '{outcome="loaded"}');
  const all: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    const client = new HttpClient(`127.0.0.1:${s.port}`);
    while (next < stream.length) all.push(await one(client, stream[next++]!));
    client.close();
  }));
  const seconds = (performance.now() - t0) / 1000;
  return { all, serverMisses: (await metric(s, 'inferd_model_load_wait_seconds_count', '{outcome="loaded"}')) - before, seconds };
}

async function main(): Promise<void> {
  const repo = makeRepo();
  const empty = mkdtempSync(join(tmpdir(), 'inferd-model-lru-empty-'));
  const out: string[] = [];
  const load0 = loadavg()[0]!;
  try {
    const e = await startServer(empty, ['--model-control-mode', 'explicit']);
    await sleep(1000);
    const emptyRss = memory(e.child.pid!).rss;
    await stop(e);
    // The fixed cost of ONNX Runtime (its library, inferd's worker threads), paid by the first ONNX model.
    const one = await startServer(repo, ['--model-control-mode', 'explicit', '--load-model', 'm0']);
    await sleep(1000);
    const oneRss = memory(one.child.pid!).rss;
    await stop(one);

    const streamA = zipfStream(MODELS, REQUESTS, 19);
    const streamB = zipfStream(MODELS, REQUESTS, 20);

    const lru = await startServer(repo, ['--model-control-mode', 'explicit', '--model-load-on-demand', 'true', '--model-max-loaded', String(MAX_LOADED)]);
    const a = await phaseA(lru, streamA, true);
    const b = await phaseB(lru, streamB);
    const lruMem = memory(lru.child.pid!);
    const lruEstimate = await metric(lru, 'inferd_model_memory_estimate_bytes');
    const evictions = await metric(lru, 'inferd_model_evictions_total', '{reason="max_loaded"}');
    await stop(lru);

    const t0 = performance.now();
    const all = await startServer(repo, ['--model-control-mode', 'explicit', '--load-model', '*']);
    const allLoadS = (performance.now() - t0) / 1000;
    await sleep(1000);
    const allLoadedRss = memory(all.child.pid!).rss;
    const aAll = await phaseA(all, streamA, false);
    const bAll = await phaseB(all, streamB);
    const allMem = memory(all.child.pid!);
    await stop(all);

    const perModel = (allLoadedRss - oneRss) / (MODELS - 1);
    const goalRss = emptyRss + MAX_LOADED * perModel;
    const goalWithOrt = oneRss + (MAX_LOADED - 1) * perModel;
    const missP50 = pct(a.misses, 50);
    out.push(
      `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, load average ${load0.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end. `
        + `${MODELS} ONNX ${WEIGHT_KB > 0 ? `Gather models with ${WEIGHT_KB} KiB of weights each` : 'Identity FP32[4] models'} (1 CPU instance), Zipf s=${ZIPF_S}, ${REQUESTS} requests per phase, HttpClient.`,
      '',
      '| server | phase A (1 client) hit rate | hit p50 / p99 ms | miss p50 / p99 ms | phase B (' + CLIENTS + ' clients) hit rate | p50 / p99 ms | req/s | peak RSS MiB |',
      '|---|---|---|---|---|---|---|---|',
      `| lru (max ${MAX_LOADED} loaded, on demand) | ${(a.hits.length / REQUESTS).toFixed(3)} (server counted ${a.serverMisses} misses, replay ${a.misses.length}) `
        + `| ${ms(pct(a.hits, 50))} / ${ms(pct(a.hits, 99))} | ${ms(missP50)} / ${ms(pct(a.misses, 99))} `
        + `| ${(1 - b.serverMisses / REQUESTS).toFixed(3)} | ${ms(pct(b.all, 50))} / ${ms(pct(b.all, 99))} | ${(REQUESTS / b.seconds).toFixed(0)} | ${(lruMem.hwm / MiB).toFixed(0)} |`,
      `| all ${MODELS} loaded | 1.000 | ${ms(pct(aAll.hits, 50))} / ${ms(pct(aAll.hits, 99))} | — | 1.000 | ${ms(pct(bAll.all, 50))} / ${ms(pct(bAll.all, 99))} `
        + `| ${(REQUESTS / bAll.seconds).toFixed(0)} | ${(allMem.hwm / MiB).toFixed(0)} |`,
      '',
      `Empty server ${(emptyRss / MiB).toFixed(0)} MiB RSS, ${(oneRss / MiB).toFixed(0)} MiB with one ONNX model loaded (ONNX Runtime and the worker threads); all ${MODELS} loaded ${(allLoadedRss / MiB).toFixed(0)} MiB after a ${allLoadS.toFixed(1)} s start-up, `
        + `i.e. ${(perModel / MiB).toFixed(2)} MiB per model; budget + empty = ${(goalRss / MiB).toFixed(0)} MiB. `
        + `lru: ${evictions} evictions, RSS ${(lruMem.rss / MiB).toFixed(0)} MiB at the end, estimate gauge ${(lruEstimate / 1024).toFixed(0)} KiB at the end.`,
      `Goal: miss p50 <= 50 ms: ${missP50 <= 50 ? 'met' : 'NOT met'} (${ms(missP50)} ms); peak RSS <= budget + empty server: `
        + `${lruMem.hwm <= goalRss ? 'met' : 'NOT met'} (${(lruMem.hwm / MiB).toFixed(0)} vs ${(goalRss / MiB).toFixed(0)} MiB; `
        + `${(goalWithOrt / MiB).toFixed(0)} MiB counting ONNX Runtime's fixed cost; all loaded peaks at ${(allMem.hwm / MiB).toFixed(0)} MiB).`,
    );
  } finally {
    rmSync(repo, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

await main();
