/**
 * The HTTP entry must run in browsers: nothing it reaches (transitively, within this package and
 * @inferd/protocol) may import `node:` modules, Node built-ins or @grpc. The package exports name every entry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const clientSrc = fileURLToPath(new URL('../src/', import.meta.url));
const protocolSrc = fileURLToPath(new URL('../../protocol/src/', import.meta.url));

function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)].map((m) => m[1] ?? m[2]!);
}

function reach(entry: string): { files: Set<string>; external: Set<string> } {
  const files = new Set<string>();
  const external = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const spec of specifiers(file)) {
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else if (spec === '@inferd/protocol') visit(join(protocolSrc, 'index.ts'));
      else external.add(spec);
    }
  };
  visit(entry);
  return { files, external };
}

test('@inferd/client/http reaches no Node built-in and no gRPC', () => {
  const { files, external } = reach(join(clientSrc, 'http.ts'));
  assert.ok(files.size > 5, 'the import reader follows imports');
  const bad = [...external].filter((s) => s.startsWith('node:') || builtinModules.includes(s) || s.startsWith('@grpc/'));
  assert.deepEqual(bad, []);
});

test('the gRPC and shm entries do use what they need (the reader sees real imports)', () => {
  assert.ok(reach(join(clientSrc, 'grpc.ts')).external.has('@grpc/grpc-js'));
  assert.ok(reach(join(clientSrc, 'shm.ts')).external.has('node:fs'));
});

test('package.json exports every entry, each with a source file', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { exports: Record<string, { import: string }> };
  assert.deepEqual(Object.keys(pkg.exports).sort(), ['.', './grpc', './http', './shm']);
  for (const { import: js } of Object.values(pkg.exports)) {
    const src = join(clientSrc, js.replace('./dist/', '').replace(/\.js$/, '.ts'));
    assert.ok(existsSync(src), src);
  }
});
