/**
 * The flags' `server` part is createInferenceServer's options object as is (cli/options.ts names each
 * option once): handed over unchanged, it makes a real server with the flags' behaviour.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { addServeFlags, toServeSettings } from '../../src/cli/options.js';
import { createInferenceServer } from '../../src/index.js';
import { Logger } from '../../src/observability/log.js';
import { identityConfig, makeRepo } from '../support/temp-repo.js';

function settings(args: string[]) {
  const cmd = addServeFlags(new Command('serve').exitOverride());
  cmd.parse(args, { from: 'user' });
  return toServeSettings(cmd.opts());
}

test('settings.server passed through unchanged: --id, explicit mode with --load-model, no metrics, strict readiness off', async () => {
  const repo = makeRepo({ 'a/config.pbtxt': identityConfig(), 'a/1/': null, 'b/config.pbtxt': identityConfig(), 'b/1/': null });
  const s = settings(['--model-repository', repo.dir, '--id', 'edge-7', '--model-control-mode=explicit', '--load-model=a',
    '--allow-metrics=false', '--strict-readiness=false']);
  const created = await createInferenceServer({ ...s.server, logger: new Logger({ info: false, warning: false, error: false }) });
  try {
    assert.equal(created.server.metadata().name, 'edge-7');
    assert.deepEqual(created.server.repositoryIndex().map((e) => [e.name, e.state]), [['a', 'READY'], ['b', undefined]]);
    assert.equal(created.metrics, undefined);
    assert.equal(s.metrics, undefined, 'no metrics listener either');
    await created.server.loadModel('b');
    assert.equal(created.server.repositoryIndex().find((e) => e.name === 'b')?.state, 'READY');
  } finally {
    await created.server.shutdown();
    repo.cleanup();
  }
});

test('the listener parts carry their flags; --allow-http/--allow-grpc=false leave no part, yet their flags are still checked', () => {
  const s = settings(['--model-repository', '/m', '--grpc-use-ssl=true', '--grpc-server-cert', 'c.pem', '--grpc-server-key', 'k.pem',
    '--http-max-input-size', '1024', '--grpc-max-connection-age', '5000']);
  assert.deepEqual(s.grpc?.tls, { cert: 'c.pem', key: 'k.pem', rootCert: undefined, mutual: false });
  assert.equal(s.grpc?.keepalive?.maxConnectionAgeMs, 5000);
  assert.equal(s.http?.maxInputSize, 1024);
  const off = settings(['--model-repository', '/m', '--allow-http=false', '--allow-grpc=false']);
  assert.deepEqual([off.http, off.grpc], [undefined, undefined]);
  assert.throws(() => settings(['--model-repository', '/m', '--allow-http=false', '--http-max-input-size', '0']),
    { message: '--http-max-input-size must be greater than 0.' });
});
