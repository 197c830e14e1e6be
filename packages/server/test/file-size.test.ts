/**
 * Keeps the server's source files small (issue 16): a file of packages/server/src over MAX_LINES
 * lines must say at its top why it stays whole, on a line starting with `// size:` followed by the
 * reason. Splitting by job is the default; the marker is for a file that really has one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const serverSrc = join(root, 'packages/server/src');
const MAX_LINES = 450;
/** The marker must be among the first lines, where a reader opening the file sees it. */
const HEADER_LINES = 30;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Why a file's size is a problem, or undefined when it is fine. */
function sizeProblem(text: string): string | undefined {
  const lines = text.split('\n');
  const count = text.endsWith('\n') ? lines.length - 1 : lines.length;
  if (count <= MAX_LINES) return undefined;
  const marker = lines.slice(0, HEADER_LINES).find((l) => l.startsWith('// size:'));
  if (marker === undefined) return `${count} lines and no '// size: <reason>' line in its first ${HEADER_LINES}`;
  // A reason is a sentence, not a token: at least a few words after the marker.
  if (marker.slice('// size:'.length).trim().split(/\s+/).length < 5) return `${count} lines; its '// size:' line gives no reason`;
  return undefined;
}

test('the size check itself: short files pass, long ones need a reason at the top', () => {
  const long = (head: string) => `${head}${'x;\n'.repeat(MAX_LINES + 1)}`;
  assert.equal(sizeProblem('x;\n'.repeat(MAX_LINES)), undefined);
  assert.match(sizeProblem(long(''))!, /451 lines and no '\/\/ size: <reason>' line/);
  assert.match(sizeProblem(long('// size:\n'))!, /gives no reason/);
  assert.equal(sizeProblem(long('/** doc */\n// size: one state machine whose transitions share private fields\n')), undefined);
  // Below the top, the marker does not count.
  assert.ok(sizeProblem(`${'x;\n'.repeat(HEADER_LINES)}// size: one state machine whose transitions share private fields\n${'x;\n'.repeat(MAX_LINES)}`));
});

test(`no server source file is over ${MAX_LINES} lines without a reason written at its top`, () => {
  const problems = files(serverSrc).flatMap((file) => {
    const problem = sizeProblem(readFileSync(file, 'utf8'));
    return problem === undefined ? [] : [`${relative(root, file)}: ${problem}`];
  });
  assert.deepEqual(problems, []);
});
