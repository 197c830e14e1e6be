/** `--allow-client-shm` reaches the settings (and is no longer "accepted but ignored"). */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Command } from 'commander';
import { addServeFlags, toServeSettings } from '../../src/cli/options.js';

function settings(args: string[]) {
  const cmd = addServeFlags(new Command().exitOverride());
  cmd.parse(['--model-repository', '/tmp', ...args], { from: 'user' });
  return toServeSettings(cmd.opts());
}

it('--allow-client-shm defaults to false and parses Triton bools', () => {
  assert.equal(settings([]).server.allowClientShm, false);
  assert.equal(settings(['--allow-client-shm=true']).server.allowClientShm, true);
  assert.equal(settings(['--allow-client-shm', 'on']).server.allowClientShm, true);
  assert.equal(settings(['--allow-client-shm=0']).server.allowClientShm, false);
  assert.deepEqual(settings(['--allow-client-shm=true']).acceptedButIgnored, []);
});
