#!/usr/bin/env node
// Runs every packages/*/test/**/*.test.ts through node:test with tsx (Node 20 has no test globs).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureTestDeps } from './ensure-test-deps.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const filter = process.argv.slice(2);

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const files = [];
for (const pkg of readdirSync(join(root, 'packages'))) {
  const dir = join(root, 'packages', pkg, 'test');
  try { walk(dir, files); } catch { /* package without tests */ }
}
const selected = files
  .map((f) => relative(root, f))
  .filter((f) => filter.length === 0 || filter.some((s) => f.includes(s)))
  .sort();
if (selected.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// Python modules and fonts first: installed when possible, else one command to run instead of many failures.
ensureTestDeps();
const res = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=120000', ...selected],
  { cwd: root, stdio: 'inherit' },
);
process.exit(res.status ?? 1);
