/**
 * Enforces the import rules of docs/architecture.md (its table is read here) by reading every import
 * specifier of the sources. A new folder or a new dependency direction is added to that table on purpose.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const serverSrc = join(root, 'packages/server/src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  const re = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) out.push((m[1] ?? m[2])!);
  return out;
}

/** Top-level area of a server source file: 'core', 'frontends', ... or the file name for root files. */
function area(file: string): string {
  return relative(serverSrc, file).split(sep)[0]!.replace(/\.ts$/, '');
}

/**
 * The rules are the table of docs/architecture.md ("Who may import whom"), between its import-rules
 * markers: one row per area, `May import` (areas) and `npm packages`; `—` = none, `*` = anything.
 */
function readRules(): { allowed: Record<string, readonly string[]>; packages: Record<string, readonly string[]> } {
  const doc = readFileSync(join(root, 'docs/architecture.md'), 'utf8');
  const table = /<!-- import-rules:start -->([\s\S]*?)<!-- import-rules:end -->/.exec(doc)?.[1];
  assert.ok(table !== undefined, 'docs/architecture.md has the import-rules table');
  const allowed: Record<string, readonly string[]> = {};
  const packages: Record<string, readonly string[]> = {};
  const list = (cell: string): string[] =>
    cell.trim() === '—' ? [] : cell.split(',').map((c) => c.trim().replace(/^`|`$/g, ''));
  for (const line of table.split('\n')) {
    const cells = line.split('|').slice(1, -1);
    if (cells.length !== 3 || /^\s*(Area|-+)\s*$/.test(cells[0]!)) continue;
    const area = cells[0]!.trim().replace(/^`|`$/g, '');
    allowed[area] = list(cells[1]!);
    packages[area] = list(cells[2]!);
  }
  return { allowed, packages };
}

const { allowed: ALLOWED, packages: PACKAGES } = readRules();

test('the rules table of docs/architecture.md is what this test enforces', () => {
  // A guard on the table reader: these rows and edges are the architecture's backbone.
  assert.deepEqual(ALLOWED['core'], []);
  assert.deepEqual(ALLOWED['frontends'], ['core']);
  assert.deepEqual(ALLOWED['config'], ['core']);
  assert.ok(ALLOWED['repository']!.includes('observability'));
  assert.deepEqual(PACKAGES['backends'], ['onnxruntime-node', 'onnxruntime-common']);
  assert.deepEqual(ALLOWED['cli'], ['*']);
  const areas = new Set(readdirSync(serverSrc).map((n) => n.replace(/\.ts$/, '')));
  assert.deepEqual(Object.keys(ALLOWED).sort(), [...areas].sort(), 'one row per folder and root file of src/');
});

test('server source folders import only what docs/architecture.md allows', () => {
  const violations: string[] = [];
  for (const file of files(serverSrc)) {
    const from = area(file);
    const allowed = ALLOWED[from];
    if (allowed === undefined) {
      violations.push(`${relative(root, file)}: area '${from}' has no import rule`);
      continue;
    }
    for (const spec of specifiers(file)) {
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        if (!target.startsWith(serverSrc)) {
          violations.push(`${relative(root, file)} imports outside the package: ${spec}`);
          continue;
        }
        const to = area(target);
        if (to !== from && !allowed.includes('*') && !allowed.includes(to)) {
          violations.push(`${relative(root, file)} (${from}) must not import ${to}: ${spec}`);
        }
      } else if (!spec.startsWith('node:') && spec !== '@inferd/protocol') {
        const pkgs = PACKAGES[from] ?? [];
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (!pkgs.includes('*') && !pkgs.includes(name)) violations.push(`${relative(root, file)} (${from}) must not use package ${name}`);
      }
    }
  }
  assert.deepEqual(violations, []);
});

test('@inferd/protocol has no dependencies and @inferd/client never pulls in the server or onnxruntime', () => {
  const bad: string[] = [];
  for (const file of files(join(root, 'packages/protocol/src'))) {
    for (const spec of specifiers(file)) if (!spec.startsWith('.')) bad.push(`${relative(root, file)}: ${spec}`);
  }
  for (const file of files(join(root, 'packages/client/src'))) {
    for (const spec of specifiers(file)) {
      if (spec === 'inferd' || spec.startsWith('onnxruntime') || spec.includes('packages/server')) bad.push(`${relative(root, file)}: ${spec}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('the rule reader sees real imports (guards against a regex that matches nothing)', () => {
  const core = specifiers(join(serverSrc, 'core/server.ts'));
  assert.ok(core.includes('./errors.js'));
  const registry = specifiers(join(serverSrc, 'backends/registry.ts'));
  assert.ok(registry.includes('./onnxruntime/index.js'), 'dynamic import() is read');
});

test('frontends: HTTP and gRPC share frontends/common and never import each other; common imports neither', () => {
  const frontends = join(serverSrc, 'frontends');
  const sub = (file: string): string => relative(frontends, file).split(sep)[0]!;
  const may: Record<string, readonly string[]> = { common: [], http: ['common'], grpc: ['common'] };
  const bad: string[] = [];
  for (const file of files(frontends)) {
    const from = sub(file);
    if (may[from] === undefined) {
      bad.push(`${relative(root, file)}: frontends/${from} has no rule (put shared code in frontends/common)`);
      continue;
    }
    for (const spec of specifiers(file)) {
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(frontends + sep)) continue;
      const to = sub(target);
      if (to !== from && !may[from]!.includes(to)) bad.push(`${relative(root, file)} (frontends/${from}) must not import frontends/${to}`);
    }
  }
  assert.deepEqual(bad, []);
  assert.ok(specifiers(join(frontends, 'http/infer-params.ts')).includes('../common/request-parameters.js'));
});
