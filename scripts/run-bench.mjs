#!/usr/bin/env node
// `npm run bench`: runs every bench/<name>/run.mjs in turn and writes their tables to bench/RESULTS.md
// with the machine description and date.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const only = process.argv.slice(2);
const sections = [];
for (const name of readdirSync(join(root, 'bench')).sort()) {
  const script = join(root, 'bench', name, 'run.mjs');
  if (!existsSync(script) || (only.length > 0 && !only.includes(name))) continue;
  console.error(`running bench/${name} ...`);
  const out = execFileSync(process.execPath, [script], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  process.stdout.write(out);
  sections.push(`## ${name}\n\n${out.trim()}\n`);
}
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
writeFileSync(
  join(root, 'bench', 'RESULTS.md'),
  `# Benchmark results\n\n${new Date().toISOString().slice(0, 10)} on ${machine}.\n\n${sections.join('\n')}`,
);
