#!/usr/bin/env node
// What the test suite needs outside node_modules, checked the way the tests use it: the Python modules are
// imported by the interpreter the Python backend picks (INFERD_PYTHON, else /usr/bin/python3) and the fonts the
// OCR tests render with, and the Chromium the web console's tests drive, are looked for as files. Missing pieces are installed with apt-get when this process may
// (root, or passwordless sudo); otherwise, or when INFERD_TEST_DEPS=check, it stops at once with the one command
// to run, so a fresh machine never produces dozens of unrelated test failures.
//
// INFERD_TEST_DEPS: "install" (default), "check" (never install, stop with the command), "off" (no check at all).
// `npm test` (scripts/run-tests.mjs) runs this first; `node scripts/ensure-test-deps.mjs` runs it alone.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DEBIAN_PYTHON = '/usr/bin/python3';

/** Each need: the Debian package that provides it, and a pip name for interpreters that apt does not serve. */
export const PYTHON_MODULES = [
  { module: 'numpy', apt: 'python3-numpy', pip: 'numpy' },
  { module: 'PIL', apt: 'python3-pil', pip: 'pillow' },
  { module: 'cv2', apt: 'python3-opencv', pip: 'opencv-python-headless' },
  { module: 'pyclipper', apt: 'python3-pyclipper', pip: 'pyclipper' },
  { module: 'shapely', apt: 'python3-shapely', pip: 'shapely' },
  // The pytorch backend's tests (TorchScript models made and run by this torch; CPU build on Debian).
  { module: 'torch', apt: 'python3-torch', pip: 'torch' },
];
export const FONTS = [
  { file: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', apt: 'fonts-dejavu-core' },
  { file: '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc', apt: 'fonts-wqy-microhei' },
];

/** The browser the web console's tests drive (playwright-core with executablePath): Debian's chromium. */
export const BROWSER = { file: '/usr/bin/chromium', apt: 'chromium' };

/**
 * The real S3-compatible server the s3:// repository tests run against (test/support/radosgw.ts): Ceph's
 * RADOS Gateway on a one-node cluster of a monitor and an in-memory OSD (about 30 s to install, 10 s to start).
 */
export const S3_SERVER = [
  { file: '/usr/bin/radosgw', apt: 'radosgw' },
  { file: '/usr/bin/ceph-mon', apt: 'ceph-mon' },
  { file: '/usr/bin/ceph-osd', apt: 'ceph-osd' },
];

export function testPython(env = process.env) {
  const configured = env.INFERD_PYTHON;
  return configured !== undefined && configured !== '' ? configured : DEBIAN_PYTHON;
}

/** The modules `python` cannot import (all of them when it does not run at all) and the fonts not on disk. */
export function findMissing(python) {
  const probe = `import importlib, json
missing = []
for m in ${JSON.stringify(PYTHON_MODULES.map((m) => m.module))}:
    try:
        importlib.import_module(m)
    except Exception:
        missing.append(m)
print(json.dumps(missing))`;
  const res = spawnSync(python, ['-c', probe], { encoding: 'utf8' });
  let missingModules;
  let pythonRuns = true;
  try {
    if (res.status !== 0) throw new Error('probe failed');
    missingModules = JSON.parse(res.stdout.trim().split('\n').pop() ?? '');
  } catch {
    pythonRuns = false;
    missingModules = PYTHON_MODULES.map((m) => m.module);
  }
  return {
    pythonRuns,
    modules: PYTHON_MODULES.filter((m) => missingModules.includes(m.module)),
    fonts: FONTS.filter((f) => !existsSync(f.file)),
    browser: existsSync(BROWSER.file) ? [] : [BROWSER],
    s3Server: S3_SERVER.filter((s) => !existsSync(s.file)),
  };
}

/**
 * What to do about `missing`: the Debian packages to install (apt serves Debian's interpreter and the fonts),
 * the pip packages a non-Debian interpreter needs, and the single shell command a person should run.
 */
export function plan(missing, { python, root }) {
  const debianPython = python === DEBIAN_PYTHON;
  const apt = [...missing.fonts.map((f) => f.apt), ...(missing.browser ?? []).map((b) => b.apt), ...(missing.s3Server ?? []).map((s) => s.apt)];
  const pip = [];
  if (debianPython) {
    if (!missing.pythonRuns) apt.push('python3');
    apt.push(...missing.modules.map((m) => m.apt));
  } else {
    pip.push(...missing.modules.map((m) => m.pip));
  }
  const sudo = root ? '' : 'sudo ';
  const parts = [];
  if (apt.length > 0) {
    parts.push(`${sudo}apt-get update && ${sudo}apt-get install -y --no-install-recommends ${apt.join(' ')}`);
  }
  if (pip.length > 0) parts.push(`${python} -m pip install ${pip.join(' ')}`);
  return { apt, pip, command: parts.join(' && ') };
}

function canSudo() {
  return spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
}

function aptInstall(packages, root) {
  const prefix = root ? [] : ['sudo', '-n'];
  const run = (args) => {
    const [cmd, ...rest] = [...prefix, ...args];
    const res = spawnSync(cmd, rest, {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    return res.status === 0;
  };
  return run(['apt-get', 'update', '-qq']) &&
    run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...packages]);
}

function describe(missing, python) {
  const what = [];
  if (!missing.pythonRuns) what.push(`${python} does not run`);
  else if (missing.modules.length > 0) what.push(`${python} cannot import ${missing.modules.map((m) => m.module).join(', ')}`);
  if (missing.fonts.length > 0) what.push(`missing fonts ${missing.fonts.map((f) => f.file).join(', ')}`);
  if ((missing.browser ?? []).length > 0) what.push(`missing ${missing.browser.map((b) => b.file).join(', ')}`);
  if ((missing.s3Server ?? []).length > 0) what.push(`missing ${missing.s3Server.map((s) => s.file).join(', ')}`);
  return what.join('; ');
}

/** Returns normally when everything is there (installing it first when allowed); exits the process otherwise. */
export function ensureTestDeps(env = process.env) {
  const mode = env.INFERD_TEST_DEPS ?? 'install';
  if (mode === 'off') return;
  if (mode !== 'install' && mode !== 'check') {
    console.error(`INFERD_TEST_DEPS must be install, check or off, not "${mode}"`);
    process.exit(2);
  }
  const python = testPython(env);
  let missing = findMissing(python);
  const root = process.getuid?.() === 0;
  let steps = plan(missing, { python, root });
  if (steps.command === '') return;
  const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (mode === 'install' && steps.pip.length === 0 && hasApt && (root || canSudo())) {
    console.error(`test prerequisites: ${describe(missing, python)}; installing ${steps.apt.join(' ')}`);
    if (aptInstall(steps.apt, root)) {
      missing = findMissing(python);
      steps = plan(missing, { python, root });
      if (steps.command === '') return;
    }
  }
  const why = mode === 'check' ? ' (INFERD_TEST_DEPS=check: not installing)'
    : !hasApt && steps.apt.length > 0 ? ' (no apt-get here: install the equivalent packages)'
      : '';
  console.error(`test prerequisites missing: ${describe(missing, python)}${why}.\nRun:\n  ${steps.command}\n` +
    `then run the tests again${python === DEBIAN_PYTHON ? '' : ' (or unset INFERD_PYTHON to use Debian\'s /usr/bin/python3)'}.`);
  process.exit(1);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) ensureTestDeps();
