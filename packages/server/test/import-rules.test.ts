/**
 * Enforces ARCHITECTURE.md's import rules by reading every import specifier of the sources.
 * A new folder or a new dependency direction must be added here on purpose.
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

/** Which areas each area may import (its own area is always allowed). */
const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  config: ['core'],
  observability: ['core', 'config'],
  scheduler: ['core', 'config'],
  backends: ['core', 'config'],
  frontends: ['core'],
  repository: ['core', 'config', 'scheduler', 'backends', 'observability'],
  cli: ['*'],
  'create-server': ['*'],
  index: ['*'],
};

/** npm packages (beyond node: built-ins and @inferd/protocol) each area may use. */
const PACKAGES: Record<string, readonly string[]> = {
  core: [],
  config: [],
  observability: [
    'prom-client', '@opentelemetry/api', '@opentelemetry/core', '@opentelemetry/resources', '@opentelemetry/sdk-trace-base',
    '@opentelemetry/exporter-trace-otlp-http',
  ],
  scheduler: [],
  backends: ['onnxruntime-node', 'onnxruntime-common'],
  frontends: ['@grpc/grpc-js', '@grpc/proto-loader'],
  repository: [],
  cli: ['*'],
  'create-server': [],
  index: [],
};

test('server source folders import only what ARCHITECTURE.md allows', () => {
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
