#!/usr/bin/env node
// `npm run bench [name...]`: runs every bench/<name>/run.mjs (or only the named ones) in turn and writes
// their tables to bench/RESULTS.md with the machine description and date. Sections of benches not run this
// time are kept from the previous file, so a single bench can be re-measured on its own.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const only = process.argv.slice(2);
const resultsPath = join(root, 'bench', 'RESULTS.md');

/** `## name` sections of the previous results file, by name. */
function previousSections() {
  const out = new Map();
  if (!existsSync(resultsPath)) return out;
  const parts = readFileSync(resultsPath, 'utf8').split(/^(?=## )/m).slice(1);
  for (const part of parts) out.set(part.slice(3, part.indexOf('\n')).trim(), part.trimEnd() + '\n');
  return out;
}

const kept = previousSections();
const fresh = new Map();
for (const name of readdirSync(join(root, 'bench')).sort()) {
  const script = join(root, 'bench', name, 'run.mjs');
  if (!existsSync(script) || (only.length > 0 && !only.includes(name))) continue;
  console.error(`running bench/${name} ...`);
  const out = execFileSync(process.execPath, [script], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  process.stdout.write(out);
  fresh.set(name, `## ${name}\n\n${out.trim()}\n`);
}
const sections = [...new Map([...kept, ...fresh]).entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, text]) => text);
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
writeFileSync(
  resultsPath,
  `# Benchmark results\n\n${new Date().toISOString().slice(0, 10)} on ${machine}.\n\n${sections.join('\n')}`,
);
