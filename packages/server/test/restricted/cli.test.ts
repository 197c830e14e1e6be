/**
 * `inferd serve` end to end with --http-restricted-api, --grpc-restricted-protocol and both header
 * forward patterns: the flags reach the frontends (no "accepted, no effect" warning), and a bad value
 * is a usage error with Triton's message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status, type ServiceError } from '@grpc/grpc-js';
import { request } from '../support/http-harness.js';
import { connect } from '../support/grpc-client.js';
import { runCli, startServe } from '../support/spawn-cli.js';
import { identityConfig, makeRepo } from '../support/temp-repo.js';

test('serve: restricted HTTP API and gRPC protocol', async () => {
  const repo = makeRepo({ 'echo/config.pbtxt': identityConfig(), 'echo/1/': null });
  const server = await startServe([
    '--model-repository', repo.dir,
    '--http-restricted-api=health,metadata:admin-key=s3cret',
    '--grpc-restricted-protocol', 'model-config:token=t0k',
    '--http-header-forward-pattern', '^x-fwd-',
    '--grpc-header-forward-pattern', '(?-i)^x-fwd-',
  ]);
  const client = connect(server.grpcPort);
  try {
    const port = Number(new URL(server.url).port);
    const refused = await request(port, 'GET', '/v2/health/ready');
    assert.equal(refused.status, 403);
    assert.equal(refused.text, JSON.stringify({ error: "This API is restricted, expecting header 'admin-key'" }));
    assert.equal((await request(port, 'GET', '/v2/health/ready', { headers: { 'Admin-Key': 's3cret' } })).status, 200);
    assert.equal((await request(port, 'GET', '/v2/models/echo/config')).status, 200);

    await assert.rejects(client.call('ModelConfig', { name: 'echo' }), (err: ServiceError) => {
      assert.equal(err.code, status.UNAVAILABLE);
      assert.equal(err.details, "This protocol is restricted, expecting header 'triton-grpc-protocol-token'");
      return true;
    });
    const res = await client.call('ModelConfig', { name: 'echo' }, { 'triton-grpc-protocol-token': 't0k' });
    assert.equal(res.config.name, 'echo');
    assert.equal((await client.call('ServerLive', {})).live, true);
    assert.doesNotMatch(server.stderr(), /restricted|forward-pattern.*no effect/);
  } finally {
    client.close();
    server.child.kill('SIGTERM');
    await server.exited;
    repo.cleanup();
  }
});

test('serve: a bad restricted group is a usage error', async () => {
  const run = runCli(['serve', '--model-repository', '/nonexistent', '--grpc-restricted-protocol', 'inference,bogus:k=v']);
  assert.equal(await run.exited, 2);
  assert.match(run.stderr(), /inferd: error: unknown restricted protocol 'bogus'/);
});
