#!/usr/bin/env node
// Summarizes V8 .cpuprofile files (from `node --cpu-prof`): the top frames by self time, and for each of
// the heaviest the callers that led to it (bottom-up), so "where does the CPU of a request go" reads off
// without a GUI. Frames are named `function file:line`; times are ms of samples and % of the profile.
// Usage: node bench/lib/cpuprofile-summary.mjs FILE.cpuprofile... [--top N] [--callers N] [--depth N]
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  args.splice(i, 2);
  return v;
};
const TOP = opt('--top', 25);
const CALLERS = opt('--callers', 8);
const DEPTH = opt('--depth', 4);

function frameName(cf) {
  const file = cf.url ? basename(cf.url) : '';
  return `${cf.functionName || '(anonymous)'} ${file}${file ? `:${cf.lineNumber + 1}` : ''}`;
}

function summarize(path) {
  const profile = JSON.parse(readFileSync(path, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Sample intervals: timeDeltas[i] is the time before sample i.
  const selfUs = new Map();
  const deltas = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = deltas[i + 1] ?? deltas[i] ?? 0;
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + dt);
  }
  let total = 0;
  for (const v of selfUs.values()) total += v;
  const idle = new Set(['(idle)', '(program)', '(garbage collector)']);
  const byName = new Map();
  for (const [id, us] of selfUs) {
    const name = frameName(byId.get(id).callFrame);
    byName.set(name, (byName.get(name) ?? 0) + us);
  }
  const idleUs = byName.get('(idle) ') ?? 0;
  console.log(`\n== ${basename(path)}: ${(total / 1000).toFixed(0)} ms sampled, ${((total - idleUs) / 1000).toFixed(0)} ms not idle`);
  const pct = (us) => `${(us / 1000).toFixed(1).padStart(8)} ms ${((100 * us) / (total - idleUs)).toFixed(1).padStart(5)}%`;
  const top = [...byName].filter(([n]) => n !== '(idle) ').sort((a, b) => b[1] - a[1]).slice(0, TOP);
  console.log('-- self time (% of non-idle)');
  for (const [name, us] of top) console.log(`${pct(us)}  ${name}`);
  console.log(`-- bottom-up: callers of the top ${CALLERS} (stack ${DEPTH} deep)`);
  for (const [name] of top.slice(0, CALLERS)) {
    if (idle.has(name.trim())) continue;
    const stacks = new Map();
    for (const [id, us] of selfUs) {
      if (frameName(byId.get(id).callFrame) !== name) continue;
      const chain = [];
      let p = parent.get(id);
      while (p !== undefined && chain.length < DEPTH) {
        chain.push(frameName(byId.get(p).callFrame));
        p = parent.get(p);
      }
      const key = chain.join(' <- ');
      stacks.set(key, (stacks.get(key) ?? 0) + us);
    }
    console.log(`  ${name}`);
    for (const [key, us] of [...stacks].sort((a, b) => b[1] - a[1]).slice(0, 4)) console.log(`    ${pct(us)}  <- ${key}`);
  }
}

for (const path of args) summarize(path);
