/** `--rate-limit` / `--rate-limit-resource` through the real CLI: bad values are usage errors (exit 2). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../support/spawn-cli.js';

test('--rate-limit accepts off | execution_count only', async () => {
  const run = runCli(['serve', '--model-repository', 'examples/models', '--rate-limit=sometimes']);
  assert.equal(await run.exited, 2);
  assert.match(run.stderr(), /invalid argument for --rate-limit, got: sometimes/);
});

test('--rate-limit-resource needs <name>:<count>[:<device>]', async () => {
  const run = runCli(['serve', '--model-repository', 'examples/models', '--rate-limit=execution_count', '--rate-limit-resource', 'R1']);
  assert.equal(await run.exited, 2);
  assert.match(run.stderr(), /invalid argument for --rate-limit-resource, expected <name>:<count>\[:<device>\], got: R1/);
});
