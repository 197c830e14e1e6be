/**
 * The bins the README names work from a checkout right after `npm ci` (npm links workspace bins before
 * `prepare` builds dist/, so they are committed launchers), answer --version with inferd's own version, and
 * `inferd --help` shows serve's flags, not only the command list. `npx --no-install` so a missing link fails
 * here instead of fetching a same-named package from the public registry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { repoRoot } from '../support/spawn-cli.js';

const run = promisify(execFile);
const version = (pkg: string): string =>
  (JSON.parse(readFileSync(`${repoRoot}/packages/${pkg}/package.json`, 'utf8')) as { version: string }).version;

async function npx(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('npx', ['--no-install', ...args], { cwd: repoRoot, timeout: 30_000 });
}

test('npx inferd --version and npx inferd-perf --version answer from the linked bins', async () => {
  assert.equal((await npx('inferd', '--version')).stdout.trim(), `inferd ${version('server')}`);
  assert.match((await npx('inferd-perf', '--version')).stdout.trim(), new RegExp(`^inferd-perf ${version('perf')}$`));
});

test('inferd --help lists serve and every serve flag group, with defaults', async () => {
  const { stdout, stderr } = await npx('inferd', '--help');
  const out = stdout + stderr;
  assert.match(out, /serve \[options\]/);
  for (const flag of ['--model-repository', '--http-port', '--grpc-port', '--metrics-port', '--exit-on-error',
    '--model-control-mode', '--http-max-input-size', '--exit-timeout-secs']) {
    assert.ok(out.includes(flag), `inferd --help mentions ${flag}`);
  }
  assert.match(out, /--http-port <int>\s+HTTP port \(default: 8000\)/);
});
