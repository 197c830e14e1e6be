/**
 * `npm test` checks what the suite needs outside node_modules before running anything
 * (scripts/ensure-test-deps.mjs): on a machine whose interpreter lacks the modules it stops at once with the
 * one command to run, never with dozens of test failures. Driven as `npm test` runs it: the script as a
 * process, with an interpreter started with -S (no site-packages, so none of numpy, PIL, cv2, ...).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../support/spawn-cli.js';
// @ts-expect-error: a plain .mjs script without declarations
import { BROWSER, S3_SERVER, plan } from '../../../../scripts/ensure-test-deps.mjs';

const SCRIPT = join(repoRoot, 'scripts', 'ensure-test-deps.mjs');

function runCheck(env: Record<string, string>): { status: number | null; stderr: string; ms: number } {
  const start = Date.now();
  const res = spawnSync(process.execPath, [SCRIPT], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return { status: res.status, stderr: res.stderr, ms: Date.now() - start };
}

test('an interpreter without the modules: stops at once with the one pip command (check mode never installs)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-prereq-'));
  try {
    const bare = join(dir, 'python3-bare');
    writeFileSync(bare, '#!/bin/sh\nexec /usr/bin/python3 -S "$@"\n');
    chmodSync(bare, 0o755);
    const r = runCheck({ INFERD_PYTHON: bare, INFERD_TEST_DEPS: 'check' });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /cannot import numpy, PIL, cv2, pyclipper, shapely, torch/);
    assert.match(r.stderr, new RegExp(`Run:\\n  ${bare} -m pip install numpy pillow opencv-python-headless pyclipper shapely torch\\n`));
    assert.match(r.stderr, /unset INFERD_PYTHON to use Debian's \/usr\/bin\/python3/);
    assert.ok(r.ms < 10_000, `answered in ${r.ms} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an interpreter that does not run at all is named, and a bad mode is a usage error', () => {
  const r = runCheck({ INFERD_PYTHON: '/nonexistent/python3', INFERD_TEST_DEPS: 'check' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /\/nonexistent\/python3 does not run/);
  const bad = runCheck({ INFERD_TEST_DEPS: 'sometimes' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /INFERD_TEST_DEPS must be install, check or off, not "sometimes"/);
});

test('Debian\'s interpreter: the command is one apt-get line with the Debian package names (sudo unless root)', () => {
  const missing = {
    pythonRuns: true,
    modules: [{ module: 'numpy', apt: 'python3-numpy', pip: 'numpy' }, { module: 'cv2', apt: 'python3-opencv', pip: 'x' }],
    fonts: [{ file: '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc', apt: 'fonts-wqy-microhei' }],
  };
  assert.equal(plan(missing, { python: '/usr/bin/python3', root: false }).command,
    'sudo apt-get update && sudo apt-get install -y --no-install-recommends fonts-wqy-microhei python3-numpy python3-opencv');
  assert.equal(plan(missing, { python: '/usr/bin/python3', root: true }).command,
    'apt-get update && apt-get install -y --no-install-recommends fonts-wqy-microhei python3-numpy python3-opencv');
});

test('a missing Chromium (the console tests\' browser) joins the same apt-get line', () => {
  const missing = {
    pythonRuns: true,
    modules: [{ module: 'numpy', apt: 'python3-numpy', pip: 'numpy' }],
    fonts: [],
    browser: [BROWSER],
  };
  assert.equal(BROWSER.file, '/usr/bin/chromium');
  assert.equal(plan(missing, { python: '/usr/bin/python3', root: true }).command,
    'apt-get update && apt-get install -y --no-install-recommends chromium python3-numpy');
  assert.deepEqual(plan({ pythonRuns: true, modules: [], fonts: [], browser: [] }, { python: '/usr/bin/python3', root: true }).apt, []);
});

test('a missing RADOS Gateway (the s3:// repository tests\' server) joins the same apt-get line', () => {
  const missing = { pythonRuns: true, modules: [], fonts: [], browser: [], s3Server: S3_SERVER };
  assert.equal(plan(missing, { python: '/usr/bin/python3', root: true }).command,
    'apt-get update && apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd');
});

// npm test installed or checked everything before this file ran, unless INFERD_TEST_DEPS=off asked it not to
test('this machine, as npm test runs it: everything present, exit 0 and silent', { skip: process.env.INFERD_TEST_DEPS === 'off' }, () => {
  const r = runCheck({ INFERD_TEST_DEPS: 'check' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
});
