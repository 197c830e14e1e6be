/**
 * The map lives in the repository: every `spec §x.y` a source comment cites is a heading of
 * docs/spec/triton-interface.md, every relative link of docs/ leads to a file, and nothing points at the
 * old outside copies (ARCHITECTURE.md, shared/spec/TRITON_INTERFACE.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../..', import.meta.url));
const SPEC = join(root, 'docs/spec/triton-interface.md');

const SKIP = new Set(['node_modules', 'dist', '.git', 'generated', 'models']);
const EXTENSIONS = /\.(ts|mts|js|mjs|py|proto|md)$/;

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    if (SKIP.has(name)) return [];
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : EXTENSIONS.test(name) ? [p] : [];
  });
}

/** Every source, test, script, bench and example file that may cite the spec (docs/ excluded). */
function sources(): string[] {
  const packages = readdirSync(join(root, 'packages')).map((p) => join(root, 'packages', p));
  return [...packages, join(root, 'bench'), join(root, 'scripts'), join(root, 'examples'), join(root, '.ci')]
    .flatMap(files)
    .concat(existsSync(join(root, 'README.md')) ? [join(root, 'README.md')] : []);
}

/** Section numbers of the spec's headings: `## 4. ...` -> '4', `### 4.2 ...` -> '4.2'. */
function specSections(): Set<string> {
  const out = new Set<string>();
  for (const line of readFileSync(SPEC, 'utf8').split('\n')) {
    const m = /^#{2,4} (\d+(?:\.\d+)*)\.?\s/.exec(line);
    if (m !== null) out.add(m[1]!);
  }
  return out;
}

/**
 * The sections a text cites: `spec §1.5`, `spec §1.5, §2`, `spec §4.1-§4.3`, `spec §6.2/§7`,
 * `triton-interface.md §5` (each § of a run that starts with one of those words).
 */
function citations(text: string): string[] {
  const out: string[] = [];
  const run = /(?:\bspec|triton-interface\.md)\s*\(?((?:§\s?\d+(?:\.\d+)*(?:\s*(?:,|\/|-|–|and|or)\s*)?)+)/gi;
  for (let m = run.exec(text); m !== null; m = run.exec(text)) {
    for (const s of m[1]!.matchAll(/§\s?(\d+(?:\.\d+)*)/g)) out.push(s[1]!);
  }
  return out;
}

test('the citation reader reads every form the code uses', () => {
  assert.deepEqual(citations('see spec §1.5, §2): x'), ['1.5', '2']);
  assert.deepEqual(citations('(spec §4.1-§4.3)'), ['4.1', '4.3']); // a range: both ends must exist
  assert.deepEqual(citations('(spec §6.2/§7)'), ['6.2', '7']);
  assert.deepEqual(citations('Spec §0: codes'), ['0']);
  assert.deepEqual(citations('(docs/spec/triton-interface.md §5)'), ['5']);
  assert.deepEqual(citations('RFC 9113 §6.9'), []);
});

test('every spec § cited in the repository is a heading of docs/spec/triton-interface.md', () => {
  const sections = specSections();
  assert.ok(sections.has('0') && sections.has('5.3') && sections.has('13'), 'the heading reader found the sections');
  const missing: string[] = [];
  let count = 0;
  for (const file of sources()) {
    const text = readFileSync(file, 'utf8');
    for (const s of citations(text)) {
      count++;
      if (!sections.has(s)) missing.push(`${relative(root, file)}: spec §${s}`);
    }
  }
  assert.ok(count > 150, `found ${count} citations: the reader sees the comments`);
  assert.deepEqual(missing, []);
});

test('nothing points at the architecture or the spec outside the repository', () => {
  const stale: string[] = [];
  for (const file of sources()) {
    if (file === fileURLToPath(import.meta.url)) continue;
    const text = readFileSync(file, 'utf8');
    for (const old of ['ARCHITECTURE.md', 'shared/spec', 'TRITON_INTERFACE']) {
      if (text.includes(old)) stale.push(`${relative(root, file)}: ${old}`);
    }
  }
  assert.deepEqual(stale, []);
});

test('relative links of docs/ and the READMEs lead to files that exist', () => {
  const pages = [...files(join(root, 'docs')), join(root, 'README.md'), join(root, 'packages/server/README.md'),
    join(root, 'packages/protocol/README.md')];
  const broken: string[] = [];
  for (const page of pages) {
    for (const m of readFileSync(page, 'utf8').matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      const target = m[1]!;
      if (/^[a-z]+:/.test(target)) continue;
      if (!existsSync(resolve(dirname(page), target))) broken.push(`${relative(root, page)}: ${target}`);
    }
  }
  assert.deepEqual(broken, []);
});
