#!/usr/bin/env node
// bench/console: what the web console costs inference while nobody has it open. Two inferd HTTP
// frontends on the same identity models, one with the console on (the default) and one with
// --allow-console=false, driven alternately round by round from a separate load process; the console
// server is first asked once for its page (so its files sit in memory, as after a visit).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { list, median, medianCpu, startServer, stopServer } from '../lib/harness.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const durationMs = Number(process.env.BENCH_DURATION_MS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const MODELS = list('BENCH_MODELS', ['identity_js', 'identity_fp32']);
const CONCURRENCIES = list('BENCH_CONCURRENCY', ['1', '16']).map(Number);

const body = Buffer.from(JSON.stringify({ inputs: [{ name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: Array.from({ length: 16 }, (_, i) => i / 2) }] }));

function load(server, model, concurrency) {
  const spec = {
    url: `http://127.0.0.1:${server.port}/v2/models/${model}/infer`, headers: { 'content-type': 'application/json' },
    bodyBase64: body.toString('base64'), concurrency, durationMs, warmupMs: 1000, serverPid: server.child.pid,
  };
  return JSON.parse(execFileSync(process.execPath, [here('../lib/load-client.mjs'), JSON.stringify(spec)], { encoding: 'utf8' }));
}

const [on, off] = [await startServer(['--import', 'tsx', here('./inferd-server.ts'), 'on']), await startServer(['--import', 'tsx', here('./inferd-server.ts'), 'off'])];
const rows = [];
try {
  const page = await fetch(`http://127.0.0.1:${on.port}/console/`);
  const offPage = await fetch(`http://127.0.0.1:${off.port}/console/`);
  if (page.status !== 200 || offPage.status !== 404) throw new Error(`console on answered ${page.status}, off ${offPage.status}`);
  for (const model of MODELS) {
    for (const concurrency of CONCURRENCIES) {
      const runs = { on: [], off: [] };
      for (let round = 0; round < ROUNDS; round++) {
        // Which server goes first alternates, so a drift on a shared machine hits both alike.
        const order = round % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
        for (const which of order) runs[which].push(load(which === 'on' ? on : off, model, concurrency));
      }
      const a = median(runs.off);
      const b = median(runs.on);
      const ca = medianCpu(runs.off);
      const cb = medianCpu(runs.on);
      rows.push(`| ${model} | ${concurrency} | ${a.rps.toFixed(0)} | ${b.rps.toFixed(0)} | ${(b.rps / a.rps).toFixed(3)} | ${ca.toFixed(1)} | ${cb.toFixed(1)} | ${(cb / ca).toFixed(3)} |`);
    }
  }
} finally {
  stopServer(on);
  stopServer(off);
}
const loadAvg = (await import('node:os')).loadavg()[0].toFixed(1);
console.log(`console: the web console on (default) vs --allow-console=false, nobody with it open (its page fetched once before); identity models, JSON FP32 [1,16], in-process HttpFrontend from sources; median of ${ROUNDS} alternating rounds of ${durationMs} ms; load from a separate process; 1-min load average at end ${loadAvg}. server CPU µs/req = the server process's user+system CPU / requests.`);
console.log('');
console.log('| model | concurrency | off req/s | on req/s | req/s on/off | off CPU µs/req | on CPU µs/req | CPU on/off |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
