// bench/model-lru/probe.ts: where an LRU server's memory goes (debug figures, not the recorded table).
// Every server here runs with the same flags (PROBE_ARGS; default: on demand, --model-max-loaded 50), so the
// memory profile of bin/malloc-tuning.sh applies to all of them, and with bench/model-lru/heap-probe.cjs
// preloaded into every thread (V8 heap figures per thread). Environment variables set for this script
// (GLIBC_TUNABLES, NODE_OPTIONS, ...) reach the server as they would through bin/inferd.
//   PROBE_MODE=stream (default): the empty server, the server with one model, then run.ts's phases A and B,
//     sampling smaps; prints the breakdown of each (smaps.ts) at its peak, at the end, and 3 s later.
//   PROBE_MODE=cycle: load, infer and unload one model PROBE_CYCLES times (default 200); RSS after each unload.
//   npx tsx bench/model-lru/probe.ts   (BENCH_WEIGHT_KB, BENCH_MODELS, ... as run.ts)
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpClient } from '../../packages/client/dist/index.js';
import { MiB, REQUESTS, makeRepo, memory, metric, one, phaseA, phaseB, startServer, stop, zipfStream, type Server } from './harness.js';
import { breakdown, breakdownLine, mib, type Breakdown } from './smaps.js';

const MODE = process.env.PROBE_MODE ?? 'stream';
const CYCLES = Number(process.env.PROBE_CYCLES ?? 200);
const ARGS = (process.env.PROBE_ARGS ?? '--model-load-on-demand true --model-max-loaded 50').split(/\s+/).filter((a) => a !== '');
const preload = fileURLToPath(new URL('./heap-probe.cjs', import.meta.url));

interface HeapFigures { perThread: string[]; threads: number; physical: number; peakPhysical: number; used: number; external: number; malloced: number; newSpace: number }

function heaps(dir: string, pid: number): HeapFigures {
  const f: HeapFigures = { perThread: [], threads: 0, physical: 0, peakPhysical: 0, used: 0, external: 0, malloced: 0, newSpace: 0 };
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(`${pid}-`)) continue;
    try {
      const p = JSON.parse(readFileSync(join(dir, name), 'utf8'));
      if (Date.now() - p.at > 1500) continue; // a thread that ended
      f.threads += 1;
      f.physical += p.now.physical;
      f.peakPhysical += p.peak.physical;
      f.used += p.now.used;
      f.external += p.now.external;
      f.malloced += p.now.malloced;
      f.newSpace += p.now.spaces.new_space ?? 0;
      const sp = Object.entries(p.now.spaces as Record<string, number>).filter(([, v]) => v >= 1 << 20)
        .map(([k, v]) => `${k.replace('_space', '')} ${mib(v)}`).join(' ');
      f.perThread.push(`#${p.threadId} ${mib(p.now.physical)} (used ${mib(p.now.used)}; ${sp})`);
    } catch {
      // being rewritten: skipped this once
    }
  }
  return f;
}

const heapLine = (h: HeapFigures): string => `V8: ${h.threads} isolates, heaps ${mib(h.physical)} physical (new space ${mib(h.newSpace)}, `
  + `used ${mib(h.used)}; peak ${mib(h.peakPhysical)}), malloced ${mib(h.malloced)}, external ${mib(h.external)}\n    ${h.perThread.join('\n    ')}`;

async function start(repo: string, extra: string[], probeDir: string): Promise<Server> {
  const nodeOptions = `${process.env.NODE_OPTIONS ?? ''} --require ${preload}`.trim();
  return startServer(repo, ['--model-control-mode', 'explicit', ...ARGS, ...extra], { NODE_OPTIONS: nodeOptions, INFERD_HEAP_PROBE_DIR: probeDir });
}

function report(label: string, s: Server, probeDir: string, b: Breakdown = breakdown(s.child.pid!)): void {
  process.stdout.write(`${label}: ${breakdownLine(b)}\n  ${heapLine(heaps(probeDir, s.child.pid!))}\n`);
}

async function streamMode(repo: string, empty: string, probeDir: string): Promise<void> {
  const e = await start(empty, [], probeDir);
  await sleep(1500);
  report('empty server', e, probeDir);
  await stop(e);
  const o = await start(repo, ['--load-model', 'm0'], probeDir);
  await sleep(1500);
  report('one model loaded', o, probeDir);
  await stop(o);

  const s = await start(repo, [], probeDir);
  let peak: Breakdown | undefined;
  let peakHeaps: HeapFigures | undefined;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      const b = breakdown(s.child.pid!);
      if (peak === undefined || b.rss > peak.rss) {
        peak = b;
        peakHeaps = heaps(probeDir, s.child.pid!);
      }
      await sleep(250);
    }
  })();
  await phaseA(s, zipfStream(1000, REQUESTS, 19), true);
  report('lru after phase A', s, probeDir);
  await phaseB(s, zipfStream(1000, REQUESTS, 20));
  done = true;
  await sampler;
  const m = memory(s.child.pid!);
  process.stdout.write(`lru peak sample: ${breakdownLine(peak!)}\n  ${heapLine(peakHeaps!)}\n`);
  report('lru at the end', s, probeDir);
  process.stdout.write(`  VmHWM ${mib(m.hwm)} MiB; estimate gauge ${mib(await metric(s, 'inferd_model_memory_estimate_bytes'))} MiB; `
    + `${await metric(s, 'inferd_model_evictions_total', '{reason="max_loaded"}')} evictions (max_loaded), `
    + `${await metric(s, 'inferd_model_evictions_total', '{reason="memory_budget"}')} (memory_budget)\n`);
  await sleep(3000);
  report('lru 3 s idle', s, probeDir);
  await stop(s);
}

async function control(s: Server, model: string, action: 'load' | 'unload'): Promise<void> {
  const r = await fetch(`http://127.0.0.1:${s.port}/v2/repository/models/${model}/${action}`, { method: 'POST' });
  if (!r.ok) throw new Error(`${action} ${model}: ${r.status} ${await r.text()}`);
}

/** Waits until the unloaded model's versions are disposed (unload answers before that, as Triton's does). */
async function disposed(s: Server, model: string): Promise<void> {
  for (;;) {
    const index = await (await fetch(`http://127.0.0.1:${s.port}/v2/repository/index`, { method: 'POST' })).json() as { name: string; state?: string }[];
    const e = index.find((x) => x.name === model);
    if (e === undefined || (e.state !== 'READY' && e.state !== 'UNLOADING')) return;
    await sleep(5);
  }
}

async function cycleMode(repo: string, probeDir: string): Promise<void> {
  // m1 stays loaded (pinned by --load-model) so the pool keeps a thread: the cycle measures a model's
  // own load and unload, not threads starting and ending.
  const s = await start(repo, ['--load-model', 'm1'], probeDir);
  const client = new HttpClient(`127.0.0.1:${s.port}`);
  await sleep(1000);
  const base = memory(s.child.pid!).rss;
  const marks: string[] = [];
  for (let i = 1; i <= CYCLES; i++) {
    await control(s, 'm0', 'load');
    await one(client, 0);
    await control(s, 'm0', 'unload');
    await disposed(s, 'm0');
    if (i === 1 || i % 25 === 0) marks.push(`${i}: ${mib(memory(s.child.pid!).rss - base)}`);
  }
  client.close();
  process.stdout.write(`cycle: RSS ${mib(base)} MiB before; growth after N load+infer+unload cycles (MiB): ${marks.join(', ')}\n`);
  report('after the cycles', s, probeDir);
  writeFileSync(join(probeDir, 'gc'), ''); // heap-probe.cjs runs one full GC in every thread (with --expose-gc)
  await sleep(3000);
  report('3 s later (after a full GC where --expose-gc)', s, probeDir);
  await stop(s);
}

const repo = makeRepo();
const empty = mkdtempSync(join(tmpdir(), 'inferd-model-lru-empty-'));
const probeDir = mkdtempSync(join(tmpdir(), 'inferd-heap-probe-'));
try {
  process.stdout.write(`probe ${MODE}; server flags ${ARGS.join(' ')}; GLIBC_TUNABLES=${process.env.GLIBC_TUNABLES ?? '(launcher)'}; `
    + `NODE_OPTIONS=${process.env.NODE_OPTIONS ?? ''}\n`);
  if (MODE === 'cycle') await cycleMode(repo, probeDir);
  else await streamMode(repo, empty, probeDir);
} finally {
  rmSync(repo, { recursive: true, force: true });
  rmSync(empty, { recursive: true, force: true });
  rmSync(probeDir, { recursive: true, force: true });
}
void MiB;
