/** The model control flags: parsing, and a real `inferd serve --model-control-mode=explicit --load-model`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { addServeFlags, toServeSettings } from '../../src/cli/options.js';
import { startServe } from '../support/spawn-cli.js';
import { identityConfig } from '../support/temp-repo.js';

function settings(args: string[]) {
  const cmd = addServeFlags(new Command().exitOverride());
  cmd.parse(['--model-repository', '/tmp', ...args], { from: 'user' });
  return toServeSettings(cmd.opts());
}

test('--model-control-mode, --load-model and --repository-poll-secs parse with tritonserver defaults', () => {
  const d = settings([]);
  assert.equal(d.server.modelControlMode, 'none');
  assert.deepEqual(d.server.loadModels, []);
  assert.equal(d.server.repositoryPollSecs, 15);
  const s = settings(['--model-control-mode=explicit', '--load-model', 'a', '--load-model=b', '--repository-poll-secs', '3']);
  assert.equal(s.server.modelControlMode, 'explicit');
  assert.deepEqual(s.server.loadModels, ['a', 'b']);
  assert.equal(s.server.repositoryPollSecs, 3);
  assert.ok(!s.acceptedButIgnored.includes('load-model') && !s.acceptedButIgnored.includes('repository-poll-secs'));
  assert.equal(settings(['--model-control-mode', 'poll']).server.modelControlMode, 'poll');
  assert.throws(() => settings(['--model-control-mode', 'sometimes']), /invalid argument for --model-control-mode, got: sometimes/);
  assert.throws(() => settings(['--repository-poll-secs', '-1']), /invalid argument for --repository-poll-secs/);
});

test('inferd serve --model-control-mode=explicit --load-model: only that model loads; the API loads the rest', async () => {
  const root = mkdtempSync(join(tmpdir(), 'inferd-mc-cli-'));
  for (const m of ['a', 'b']) {
    mkdirSync(join(root, m, '1'), { recursive: true });
    writeFileSync(join(root, m, 'config.pbtxt'), identityConfig());
  }
  const run = await startServe(['--model-repository', root, '--model-control-mode=explicit', '--load-model=a', '--allow-metrics=false']);
  try {
    const index = async (): Promise<unknown> => (await fetch(`${run.url}/v2/repository/index`, { method: 'POST' })).json();
    assert.deepEqual(await index(), [{ name: 'a', version: '1', state: 'READY' }, { name: 'b' }]);
    const load = await fetch(`${run.url}/v2/repository/models/b/load`, { method: 'POST' });
    assert.equal(load.status, 200);
    assert.deepEqual(await index(), [{ name: 'a', version: '1', state: 'READY' }, { name: 'b', version: '1', state: 'READY' }]);
  } finally {
    run.child.kill('SIGTERM');
    await run.exited;
    rmSync(root, { recursive: true, force: true });
  }
});
