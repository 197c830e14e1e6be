// The parts of bench/model-lru shared by run.ts (the recorded table) and probe.ts (where the memory goes):
// the repository of many small ONNX models, starting the built CLI behind the launcher's tuning, the Zipf
// stream, and the two request phases.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpClient, InferInput } from '../../packages/client/dist/index.js';
import { GraphBuilder, identityModel } from '../../scripts/onnx-builder.js';
// @ts-expect-error a plain .mjs helper without types
import { cliCommand } from '../lib/cli-command.mjs';

export const root = fileURLToPath(new URL('../../', import.meta.url));
export const MODELS = Number(process.env.BENCH_MODELS ?? 1000);
export const MAX_LOADED = Number(process.env.BENCH_MAX_LOADED ?? 50);
export const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 3000);
export const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 4);
// BENCH_WEIGHT_KB > 0: each model also holds that many KiB of FP32 weights (a Gather from them), as tenant models
// with real weights do; 0 (default): bare Identity models, where ONNX Runtime's and V8's fixed costs dominate.
export const WEIGHT_KB = Number(process.env.BENCH_WEIGHT_KB ?? 0);
export const ZIPF_S = 1;
export const MiB = 1 << 20;

export function makeRepo(): string {
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

export interface Server { child: ChildProcess; port: number; metricsPort: number }

/** The built CLI on `repo`; `env` is added to this process's environment (the probe's preload, tunables). */
export function startServer(repo: string, extra: string[], env: Record<string, string> = {}): Promise<Server> {
  const main = join(root, 'packages/server/dist/cli/main.js');
  const [command, argv, baseEnv] = cliCommand(main, ['serve', '--model-repository', repo, '--http-port', '0', '--http-address', '127.0.0.1', '--allow-grpc', 'false',
    '--metrics-port', '0', '--metrics-address', '127.0.0.1', '--strict-readiness', 'false', ...extra,
    // BENCH_SERVER_ARGS: more serve flags for every server of the run (e.g. --backend-config=onnxruntime,worker-threads=1).
    ...(process.env.BENCH_SERVER_ARGS ?? '').split(' ').filter((a) => a !== ''),
  ]);
  const child = spawn(command, argv, { cwd: root, env: { ...baseEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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

export async function stop(s: Server): Promise<void> {
  s.child.removeAllListeners('exit');
  const gone = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGKILL');
  await gone;
}

export function memory(pid: number): { rss: number; hwm: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(text)![1]) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

export async function metric(s: Server, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${s.metricsPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** A seeded Zipf(s) stream of model indexes (rank 0 the most requested). */
export function zipfStream(n: number, count: number, seed: number): number[] {
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

export async function one(client: HttpClient, model: number): Promise<number> {
  const t0 = performance.now();
  const r = await client.infer(`m${model}`, [input()]);
  const y = r.asTypedArray('OUTPUT0') as Float32Array;
  if (y[3] !== 4) throw new Error(`m${model} answered ${[...y]}`);
  return performance.now() - t0;
}

export interface PhaseA { hits: number[]; misses: number[]; serverMisses: number }
export interface PhaseB { all: number[]; serverMisses: number; seconds: number }

/** One client, one request at a time; a client-side LRU replay tells hits from misses. */
export async function phaseA(s: Server, stream: number[], lru: boolean): Promise<PhaseA> {
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
export async function phaseB(s: Server, stream: number[]): Promise<PhaseB> {
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
