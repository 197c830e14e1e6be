import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../support/spawn-cli.js';

test('an unknown flag is a usage error: exit code 2 and the flag named', async () => {
  const run = runCli(['serve', '--model-repository', 'examples/models', '--no-such-flag=1']);
  assert.equal(await run.exited, 2);
  assert.match(run.stderr(), /unknown option '--no-such-flag=1'/);
});

test('a bad boolean value and a missing repository are usage errors too', async () => {
  const bad = runCli(['--model-repository=examples/models', '--strict-readiness=maybe']);
  assert.equal(await bad.exited, 2);
  assert.match(bad.stderr(), /expected true\/false\/on\/off\/1\/0, got 'maybe'/);
  const none = runCli(['serve']);
  assert.equal(await none.exited, 2);
  assert.match(none.stderr(), /--model-repository must be specified/);
});

test('--help lists tritonserver flags with their defaults and exits 0', async () => {
  const run = runCli(['serve', '--help']);
  assert.equal(await run.exited, 0);
  const out = run.stderr();
  for (const flag of ['--model-repository', '--http-port', '--strict-readiness', '--exit-timeout-secs', '--backend-config']) {
    assert.ok(out.includes(flag), `help mentions ${flag}`);
  }
  assert.match(out, /--http-port <int>\s+HTTP port \(default: 8000\)/);
});

test('a model repository that fails to load makes start-up fail with --exit-on-error (default)', async () => {
  const run = runCli(['serve', '--model-repository', '/nonexistent/inferd/repo', '--http-port', '0']);
  assert.equal(await run.exited, 1);
  assert.match(run.stderr(), /^E\d{4} .*nonexistent/m);
});
