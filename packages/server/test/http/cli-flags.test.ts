/**
 * The real `inferd serve` CLI: --http-max-input-size must be positive (a usage error before anything
 * starts, as tritonserver refuses it), --strict-model-config prints Triton's deprecation warning (and
 * only when given), and both header forward patterns refuse a forwarded header named like a reserved
 * parameter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status, type ServiceError } from '@grpc/grpc-js';
import { connect } from '../support/grpc-client.js';
import { request } from '../support/http-harness.js';
import { runCli, startServe, type CliRun } from '../support/spawn-cli.js';
import { identityConfig, makeRepo } from '../support/temp-repo.js';

const DEPRECATION = "Warning: '--strict-model-config' has been deprecated! Please use '--disable-auto-complete-config' instead.";

/** The exit code, or 'running' when the process was still up after `ms` (then it is killed). */
async function exitWithin(run: CliRun, ms: number): Promise<number | null | 'running'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'running'>((resolve) => (timer = setTimeout(() => resolve('running'), ms)));
  const code = await Promise.race([run.exited, late]);
  clearTimeout(timer);
  if (code === 'running') {
    run.child.kill('SIGKILL');
    await run.exited;
  }
  return code;
}

test('serve: --http-max-input-size of 0 or less is a usage error (exit 2) and nothing listens', async () => {
  const repo = makeRepo({ 'echo/config.pbtxt': identityConfig(), 'echo/1/': null });
  try {
    for (const value of ['0', '-5']) {
      const run = runCli([
        'serve', '--model-repository', repo.dir, `--http-max-input-size=${value}`,
        '--http-port', '0', '--grpc-port', '0', '--metrics-port', '0', '--http-address', '127.0.0.1', '--grpc-address', '127.0.0.1',
      ]);
      assert.equal(await exitWithin(run, 20_000), 2, run.stderr());
      assert.match(run.stderr(), /^inferd: error: --http-max-input-size must be greater than 0\.$/m);
      assert.doesNotMatch(run.stderr(), /Started HTTPService/);
    }
  } finally {
    repo.cleanup();
  }
});

test('serve: --strict-model-config warns once at start; reserved forwarded headers are refused on HTTP and gRPC', async () => {
  const repo = makeRepo({ 'echo/config.pbtxt': identityConfig(), 'echo/1/': null });
  const server = await startServe([
    '--model-repository', repo.dir, '--strict-model-config=false', '--http-max-input-size=1024',
    '--http-header-forward-pattern', '^(x-fwd-.*|priority)$', '--grpc-header-forward-pattern', '^(x-fwd-.*|sequence_id)$',
  ]);
  const client = connect(server.grpcPort);
  try {
    const lines = server.stderr().split('\n');
    assert.equal(lines.filter((l) => l === DEPRECATION).length, 1, server.stderr());
    const port = Number(new URL(server.url).port);
    const body = JSON.stringify({ inputs: [{ name: 'INPUT0', shape: [1, 2], datatype: 'FP32', data: [1, 2] }] });
    const refused = await request(port, 'POST', '/v2/models/echo/infer', { body, headers: { priority: '1' } });
    assert.equal(refused.status, 400);
    assert.deepEqual(JSON.parse(refused.text), {
      error: "forwarded header 'priority' is a reserved parameter name for Triton usage and should not be specified.",
    });
    const ok = await request(port, 'POST', '/v2/models/echo/infer', { body, headers: { 'x-fwd-a': '1' } });
    assert.equal(ok.status, 200, ok.text);
    // The input size limit took effect (1024 bytes).
    const big = await request(port, 'POST', '/v2/models/echo/infer', { body: ' '.repeat(2000) });
    assert.equal(big.status, 400);
    assert.match(JSON.parse(big.text).error, /exceeds the maximum allowed value of 1024 bytes/);
    await assert.rejects(client.call('ModelInfer', {
      model_name: 'echo', inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 1], contents: { fp32_contents: [1] } }],
    }, { sequence_id: '9' }), (err: ServiceError) => {
      assert.equal(err.code, status.INVALID_ARGUMENT);
      assert.equal(err.details, "forwarded header 'sequence_id' is a reserved parameter name for Triton usage and should not be specified.");
      return true;
    });
  } finally {
    client.close();
    server.child.kill('SIGTERM');
    await server.exited;
  }
  // Without the flag, no warning.
  const plain = await startServe(['--model-repository', repo.dir]);
  try {
    assert.doesNotMatch(plain.stderr(), /deprecated/);
  } finally {
    plain.child.kill('SIGTERM');
    await plain.exited;
    repo.cleanup();
  }
});
