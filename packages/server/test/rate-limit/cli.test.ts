/** `--rate-limit` / `--rate-limit-resource` through the real CLI: bad values are usage errors (exit 2). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../support/spawn-cli.js';
import { identityConfig, makeRepo } from '../support/temp-repo.js';

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

test('the CLI passes --rate-limit and --rate-limit-resource to the loader (an override below a need fails the load)', async () => {
  const repo = makeRepo({
    'm/config.pbtxt': identityConfig(
      'instance_group [ { count: 1 kind: KIND_CPU rate_limiter { resources [ { name: "R" global: true count: 2 } ] } } ]',
    ),
    'm/1/': null,
  });
  try {
    const limited = runCli(['serve', '--model-repository', repo.dir, '--http-port', '0', '--allow-grpc=false',
      '--rate-limit=execution_count', '--rate-limit-resource=R:1']);
    assert.equal(await limited.exited, 1);
    assert.match(limited.stderr(), /Resource count for 'R' is limited to 1 which will prevent scheduling/);
  } finally {
    repo.cleanup();
  }
});
