// Summarizes a V8 .cpuprofile (node --cpu-prof): the functions with the most self time, and the share of
// time under each of the given name fragments (inclusive). Usage: node cpuprofile-top.mjs FILE [rows] [frag...]
import { readFileSync } from 'node:fs';

const [file, rowsArg = '30', ...frags] = process.argv.slice(2);
const p = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const label = (n) => {
  const f = n.callFrame;
  return `${f.functionName || '(anon)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
};
const self = new Map();
const under = new Map(frags.map((f) => [f, 0]));
let total = 0;
let idle = 0;
for (let i = 0; i < p.samples.length; i++) {
  const dt = p.timeDeltas[i] ?? 0;
  const n = byId.get(p.samples[i]);
  total += dt;
  if (n.callFrame.functionName === '(idle)') idle += dt;
  const k = label(n);
  self.set(k, (self.get(k) ?? 0) + dt);
  if (frags.length > 0) {
    const seen = new Set();
    for (let id = n.id; id !== undefined; id = parent.get(id)) {
      const l = label(byId.get(id));
      for (const f of frags) if (!seen.has(f) && l.includes(f)) { seen.add(f); under.set(f, under.get(f) + dt); }
    }
  }
}
const ms = (v) => (v / 1000).toFixed(0).padStart(7);
const pct = (v) => `${((100 * v) / total).toFixed(1).padStart(5)}%`;
console.log(`${file}: ${ms(total)} ms sampled, idle ${pct(idle)}`);
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(rowsArg))) console.log(ms(v), pct(v), k);
for (const [f, v] of under) console.log('under', ms(v), pct(v), f);
