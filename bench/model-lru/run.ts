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
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CLIENTS, MAX_LOADED, MiB, MODELS, REQUESTS, WEIGHT_KB, ZIPF_S, makeRepo, memory, metric, phaseA, phaseB, startServer, stop, zipfStream,
} from './harness.js';

const pct = (xs: number[], p: number): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const ms = (v: number): string => (Number.isNaN(v) ? '—' : v < 10 ? v.toFixed(2) : v.toFixed(1));

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
