/**
 * The README's `npm start` on a fresh machine (Node only: no python3-numpy, OpenCV, pyclipper, shapely,
 * Pillow): the root package.json "start" command, run through the real CLI with an interpreter that
 * sees no site-packages (`python3 -S`), serves the ONNX example models, and reports each example model
 * that cannot load on one line naming the missing module and its Debian package.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, startServe, type CliRun } from '../support/spawn-cli.js';

/** The example models that need Python (and numpy), and the ensemble built on the OCR steps. */
const PYTHON_MODELS = ['add_sub', 'bls_add_sub', 'image_preprocess', 'ocr_det_post', 'ocr_pre', 'ocr_rec_post', 'repeat_py'];

let server: CliRun & { url: string };
let pythonDir: string;
let python: string;

/**
 * The root package.json "start" script: the `inferd` launcher (bin/inferd, built dist behind it, as `npm ci`
 * leaves it) and its flags after `serve` (startServe adds `serve`).
 */
function startCommand(): { launcher: string; flags: string[] } {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const words = pkg.scripts['start']!.split(/\s+/);
  const bin = words.findIndex((w) => w.endsWith('bin/inferd'));
  assert.ok(bin >= 0, `start script runs the inferd launcher: ${pkg.scripts['start']}`);
  assert.equal(words[bin + 1], 'serve');
  return { launcher: join(repoRoot, words[bin]!), flags: words.slice(bin + 2) };
}

before(async () => {
  pythonDir = mkdtempSync(join(tmpdir(), 'inferd-fresh-python-'));
  python = join(pythonDir, 'python3');
  writeFileSync(python, '#!/bin/sh\nexec /usr/bin/python3 -S "$@"\n');
  chmodSync(python, 0o755);
  const { launcher, flags } = startCommand();
  server = await startServe(flags, { env: { INFERD_PYTHON: python }, command: [launcher] });
});

after(async () => {
  server?.child.kill('SIGTERM');
  await server?.exited;
  rmSync(pythonDir, { recursive: true, force: true });
});

test('npm start serves the ONNX example models without the Debian Python packages', async () => {
  assert.equal((await fetch(`${server.url}/v2/health/ready`)).status, 200);
  const index = await (await fetch(`${server.url}/v2/repository/index`, { method: 'POST', body: '' })).json() as any[];
  const state = new Map(index.map((e) => [e.name, e.state]));
  for (const m of ['simple', 'classifier', 'identity_fp32', 'nobatch', 'strings', 'text_direction', 'ocr_det', 'ocr_rec', 'silero_vad']) {
    assert.equal(state.get(m), 'READY', m);
  }
  const res = await fetch(`${server.url}/v2/models/simple/infer`, {
    method: 'POST',
    body: JSON.stringify({ inputs: [
      { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: Array.from({ length: 16 }, (_, i) => i) },
      { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: Array.from({ length: 16 }, () => 1) },
    ] }),
  });
  assert.equal(res.status, 200);
  const out = await res.json() as any;
  assert.deepEqual(out.outputs.find((o: any) => o.name === 'OUTPUT0').data, Array.from({ length: 16 }, (_, i) => i + 1));
});

test('each example model that cannot load is one warning line naming numpy and python3-numpy', async () => {
  const index = await (await fetch(`${server.url}/v2/repository/index`, { method: 'POST', body: '' })).json() as any[];
  const unavailable = index.filter((e) => e.state !== 'READY').map((e) => e.name).sort();
  assert.deepEqual(unavailable, [...PYTHON_MODELS, 'ocr'].sort());
  const lines = server.stderr().split('\n');
  for (const m of [...PYTHON_MODELS, 'ocr']) {
    const summary = lines.filter((l) => l.includes(`server] model ${m}: UNAVAILABLE (`));
    assert.equal(summary.length, 1, `one summary line for ${m}`);
    assert.match(summary[0]!, /^W/, `${m}'s line is a warning`);
    assert.ok(summary[0]!.includes(`No module named 'numpy' (install numpy for ${python}; Debian: python3-numpy)`), summary[0]);
  }
  const reason = index.find((e) => e.name === 'add_sub').reason as string;
  assert.equal(reason, "failed to auto-complete the configuration of Python model 'add_sub': the stub exited with code 1 " +
    `before answering: ModuleNotFoundError: No module named 'numpy' (install numpy for ${python}; Debian: python3-numpy)`);
});
