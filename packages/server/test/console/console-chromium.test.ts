/**
 * The web console in real Chromium (Debian's /usr/bin/chromium through playwright-core) against the
 * real `inferd serve` on examples/models in explicit mode: every page renders the repository, a
 * load/unload round trip and a config edit refused before sending, a classification and an OCR image
 * from the Try it form, Live charts and a trace timeline. Each page's screenshot goes to test-output/console/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { repoRoot, startServe, type CliRun } from '../support/spawn-cli.js';
import { DEJAVU, renderText, SKIP as OCR_MODELS_MISSING } from '../ocr/support.js';

const CHROMIUM = '/usr/bin/chromium';
// npm test installs it (scripts/ensure-test-deps.mjs); with INFERD_TEST_DEPS=off a machine may lack it.
const SKIP_BROWSER = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install chromium)`;
const RUN = { skip: SKIP_BROWSER };
const SHOTS = join(repoRoot, 'test-output', 'console');
const PYTHON = process.env.INFERD_PYTHON ?? '/usr/bin/python3';
/** The OCR steps need OpenCV, pyclipper and shapely in the backend's Python (CI installs them). */
const OCR_PYTHON = (() => {
  try {
    execFileSync(PYTHON, ['-c', 'import numpy, cv2, pyclipper, shapely, PIL'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const SKIP_OCR = SKIP_BROWSER || OCR_MODELS_MISSING || (OCR_PYTHON ? false : `${PYTHON} lacks the OCR steps' modules`);

let server: CliRun & { url: string };
/** A second repository with one model whose config.pbtxt does not parse: its reason names the place. */
let brokenRepo: string;
let browser: Browser;
let page: Page;

before(async () => {
  if (SKIP_BROWSER) return;
  // The console under test is built from its sources now (≈1 s), not whatever an earlier build left.
  execFileSync(process.execPath, [join(repoRoot, 'scripts/build-console.mjs')], { cwd: repoRoot, stdio: 'inherit' });
  mkdirSync(SHOTS, { recursive: true });
  brokenRepo = mkdtempSync(join(tmpdir(), 'inferd-console-repo-'));
  mkdirSync(join(brokenRepo, 'broken', '1'), { recursive: true });
  writeFileSync(join(brokenRepo, 'broken', 'config.pbtxt'), 'name: "broken"\nbackend: "onnxruntime"\nmax_batch_size: [ 8\n');
  const models = ['simple', 'classifier', 'identity_fp32', 'add_sub', 'silero_vad', ...(SKIP_OCR ? [] : ['ocr', 'text_direction'])];
  [server, browser] = await Promise.all([
    startServe(['--model-repository', 'examples/models', '--model-repository', brokenRepo, '--model-control-mode', 'explicit',
      ...[...models, 'broken'].flatMap((m) => ['--load-model', m]), '--exit-on-error=false', '--strict-readiness=false',
      '--metrics-config', 'summary_latencies=true', '--metrics-interval-ms', '500']),
    chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] }),
  ]);
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
});

after(async () => {
  await browser?.close();
  server?.child.kill('SIGTERM');
  await server?.exited;
  if (brokenRepo !== undefined) rmSync(brokenRepo, { recursive: true, force: true });
});

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function stateOf(name: string): Promise<string | undefined> {
  const index = await (await fetch(`${server.url}/v2/repository/index`, { method: 'POST', body: '{}' })).json() as { name: string; state?: string }[];
  return index.find((r) => r.name === name)?.state;
}

test('Models: every example model with its state; a model\'s settings and config as pbtxt and JSON', RUN, async () => {
  await page.goto(`${server.url}/console/`);
  await page.locator('[data-model="classifier"]').waitFor();
  const index = await (await fetch(`${server.url}/v2/repository/index`, { method: 'POST', body: '{}' })).json() as { name: string }[];
  const listed = await page.locator('[data-row]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-row')));
  assert.deepEqual(listed, index.map((r) => r.name).sort((a, b) => a.localeCompare(b)));
  assert.equal(await page.locator('[data-row="classifier"] .state').textContent(), 'READY');
  // A model never loaded in explicit mode has no state in the index.
  assert.equal(await page.locator('[data-row="strings"] .state').textContent(), 'NOT LOADED');
  // A load failure shows the server's reason with the config's file:line:col set apart.
  assert.equal(await page.locator('[data-row="broken"] .state').textContent(), 'UNAVAILABLE');
  assert.match(await page.locator('[data-row="broken"] [data-where]').textContent() ?? '', /broken\/config\.pbtxt:3:\d+$/);
  await page.locator('[data-model="classifier"]').click();
  const detail = page.locator('[data-model-detail="classifier"]');
  await detail.locator('[data-field="platform"]').waitFor();
  assert.equal(await detail.locator('[data-field="platform"]').textContent(), 'onnxruntime_onnx / onnxruntime');
  assert.match(await detail.locator('[data-field="batching"]').textContent() ?? '', /max_batch_size 8/);
  const pbtxt = await detail.locator('pre[data-config="pbtxt"]').textContent() ?? '';
  assert.match(pbtxt, /^name: "classifier"$/m);
  assert.match(pbtxt, /data_type: TYPE_FP32/);
  assert.match(pbtxt, /label_filename: "labels.txt"/);
  await detail.getByRole('button', { name: 'JSON' }).click();
  const json = JSON.parse(await detail.locator('pre[data-config="json"]').textContent() ?? '');
  const served = await (await fetch(`${server.url}/v2/models/classifier/config`)).json();
  assert.deepEqual(json, served);
  await shot('models');
});

test('Control: unload and load again (state through the API too); a bad edit is refused before sending', RUN, async () => {
  await page.getByRole('tab', { name: 'Control' }).click();
  const row = page.locator('[data-control="simple"]');
  await row.waitFor();
  await row.getByRole('button', { name: 'Unload simple' }).click();
  await row.locator('[data-message]', { hasText: 'unloaded' }).waitFor();
  assert.equal(await stateOf('simple'), 'UNAVAILABLE');
  await row.locator('.state', { hasText: 'UNAVAILABLE' }).waitFor();
  await row.getByRole('button', { name: 'Load simple', exact: true }).click();
  await row.locator('[data-message]', { hasText: 'loaded' }).waitFor();
  assert.equal(await stateOf('simple'), 'READY');
  await row.locator('.state', { hasText: 'READY' }).waitFor();

  await row.getByRole('button', { name: 'Edit the config of simple' }).click();
  const editor = page.locator('#config-editor');
  await page.waitForFunction(() => (document.querySelector('#config-editor') as HTMLTextAreaElement | null)?.value.includes('"simple"'));
  const good = await editor.inputValue();
  await editor.fill(good.replace('"max_batch_size": 8', '"max_batch_size": 8,,'));
  await page.getByRole('button', { name: 'Load with this config' }).click();
  assert.match(await page.locator('[data-errors]').textContent() ?? '', /JSON syntax error at \d+:\d+/);
  await editor.fill(good.replace('"max_batch_size": 8', '"max_batch_size": -2'));
  await page.getByRole('button', { name: 'Validate' }).click();
  assert.match(await page.locator('[data-errors]').textContent() ?? '', /max_batch_size must be a whole number >= 0/);
  // Refused in the page: the model was never touched.
  assert.equal(await stateOf('simple'), 'READY');
  // What only the server knows comes back inline: an input the ONNX graph does not have.
  await editor.fill(good.replace(/"name": "INPUT1"/, '"name": "NO_SUCH_INPUT"'));
  await page.getByRole('button', { name: 'Load with this config' }).click();
  await page.locator('[data-errors] .error').waitFor();
  assert.match(await page.locator('[data-errors]').textContent() ?? '', /NO_SUCH_INPUT/);
  await shot('control');
  await row.getByRole('button', { name: 'Load simple', exact: true }).click();
  await row.locator('[data-message]', { hasText: 'loaded' }).waitFor();
  assert.equal(await stateOf('simple'), 'READY');
});

test('Try it: classifier labels from JSON tensors, with the same request as curl / tritonclient / @inferd/client', RUN, async () => {
  await page.getByRole('tab', { name: 'Try it' }).click();
  await page.getByLabel('Model to try').selectOption('classifier');
  const input = page.locator('[data-input="INPUT0"] textarea');
  await input.waitFor();
  await input.fill('[1, 2, 3, 4]');
  await page.getByRole('button', { name: 'Run inference' }).click();
  const out = page.locator('[data-output="OUTPUT0"]');
  await out.waitFor();
  // softmax(1,2,3,4) = 0.032, 0.087, 0.237, 0.644; labels cat, dog, bird, fish; top 3 as score:index:label.
  const lines = await out.locator('code div').allTextContents();
  assert.deepEqual(lines.map((l) => l.split(':').slice(1).join(':')), ['3:fish', '2:bird', '1:dog']);
  assert.ok(Math.abs(Number(lines[0]!.split(':')[0]) - 0.6439) < 1e-3, lines[0]);
  assert.match(await page.locator('[data-latency]').textContent() ?? '', /^\d+\.\d ms round trip$/);
  const curl = await page.locator('pre[data-snippet="curl"]').textContent() ?? '';
  assert.match(curl, /\/v2\/models\/classifier\/infer/);
  assert.match(curl, /"classification":3/);
  // The curl line is real: the shell runs the same request and the server gives the same labels.
  const body = /-d '(.*)'$/m.exec(curl)![1]!;
  const direct = await (await fetch(`${server.url}/v2/models/classifier/infer`, { method: 'POST', body })).json() as { outputs: { data: string[] }[] };
  assert.deepEqual(direct.outputs[0]!.data.map((s) => s.split(':').slice(1).join(':')), ['3:fish', '2:bird', '1:dog']);
  await page.getByRole('button', { name: 'tritonclient (Python)' }).click();
  assert.match(await page.locator('pre[data-snippet="python"]').textContent() ?? '', /InferRequestedOutput\("OUTPUT0", class_count=3\)/);
  await page.getByRole('button', { name: '@inferd/client' }).click();
  assert.match(await page.locator('pre[data-snippet="client"]').textContent() ?? '', /new InferRequestedOutput\('OUTPUT0', \{ classCount: 3 \}\)/);
  // And the TypeScript runs as shown, from a file in this workspace (so '@inferd/client/http' resolves).
  const ts = join(SHOTS, 'classifier-snippet.ts');
  writeFileSync(ts, await page.locator('pre[data-snippet="client"]').textContent() ?? '');
  const printed = execFileSync(process.execPath, ['--import', 'tsx', ts], { cwd: repoRoot, encoding: 'utf8' });
  assert.match(printed, /'0\.6439\d+:3:fish', '0\.2368\d+:2:bird', '0\.0871\d+:1:dog'/);
  await shot('try-classifier');
});

test('Try it: an image classified (text_direction: upright and upside-down text line, [-1,1] CHW from the page)', { skip: SKIP_OCR }, async () => {
  const upright = join(SHOTS, 'line-upright.png');
  writeFileSync(upright, renderText(DEJAVU, 40, 'Direction 123'));
  const flipped = join(SHOTS, 'line-flipped.png');
  // Cropped close to the text, as the OCR detector hands lines to this classifier; the second copy turned over.
  execFileSync(PYTHON, ['-c', [
    'import sys; from PIL import Image, ImageOps',
    'im = Image.open(sys.argv[1]).convert("RGB"); l, t, r, b = ImageOps.invert(im.convert("L")).getbbox()',
    'im = im.crop((l - 4, t - 4, r + 4, b + 4)); im.save(sys.argv[1]); im.rotate(180).save(sys.argv[2])',
  ].join('\n'), upright, flipped]);
  await page.getByLabel('Model to try').selectOption('text_direction');
  const file = page.locator('[data-input="x"] input[type=file]');
  let last = '';
  const top = async (png: string): Promise<string> => {
    await file.setInputFiles(png);
    await page.getByRole('button', { name: 'Run inference' }).click();
    // A new answer: the first class line differs from the previous one (its score at least).
    await page.waitForFunction((prev) => {
      const t = document.querySelector('[data-output="softmax_0.tmp_0"] code div')?.textContent;
      return t !== undefined && t !== null && t !== prev;
    }, last);
    last = await page.locator('[data-output="softmax_0.tmp_0"] code div').first().textContent() ?? '';
    return last.split(':').slice(1).join(':');
  };
  assert.equal(await top(upright), '0:0_degree');
  assert.equal(await top(flipped), '1:180_degree');
  assert.equal(await page.getByLabel('Resize').inputValue(), 'pad');
  await shot('try-image-classification');
});

test('Try it: an image through the OCR ensemble, its lines listed and their boxes drawn', { skip: SKIP_OCR }, async () => {
  const png = renderText(DEJAVU, 40, 'hello console', 'line 42');
  const file = join(SHOTS, 'ocr-input.png');
  writeFileSync(file, png);
  await page.getByLabel('Model to try').selectOption('ocr');
  await page.locator('[data-input="IMAGE"] input[type=file]').setInputFiles(file);
  await page.getByRole('button', { name: 'Run inference' }).click();
  await page.locator('[data-ocr-lines] li').first().waitFor({ timeout: 60_000 });
  assert.deepEqual(await page.locator('[data-ocr-lines] li').allTextContents(), ['hello console', 'line 42']);
  assert.equal(await page.locator('[data-ocr] polygon').count(), 2);
  assert.match(await page.locator('pre[data-snippet="curl"]').textContent() ?? '', /Inference-Header-Content-Length/);
  await shot('try-ocr');
});

/** A 16-bit mono PCM WAV of `samples` at `rate` Hz. */
function wav(samples: Float32Array, rate: number): Buffer {
  const data = Buffer.alloc(samples.length * 2);
  samples.forEach((v, i) => data.writeInt16LE(Math.round(Math.max(-1, Math.min(1, v)) * 32767), i * 2));
  const h = Buffer.alloc(44);
  h.write('RIFF', 0); h.writeUInt32LE(36 + data.length, 4); h.write('WAVE', 8); h.write('fmt ', 12);
  h.writeUInt32LE(16, 16); h.writeUInt16LE(1, 20); h.writeUInt16LE(1, 22); h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28); h.writeUInt16LE(2, 32); h.writeUInt16LE(16, 34); h.write('data', 36); h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

test('Try it: a WAV for the audio model (silero_vad): its 16 kHz samples as one whole sequence', RUN, async () => {
  const file = join(SHOTS, 'tone.wav');
  // 1536 samples = 96 ms at 16 kHz, silence: the VAD's speech probability stays low.
  writeFileSync(file, wav(new Float32Array(1536), 16000));
  await page.getByLabel('Model to try').selectOption('silero_vad');
  await page.locator('[data-input="input"] input[type=file]').setInputFiles(file);
  assert.equal(await page.locator('[data-input="sr"] textarea').inputValue(), '[16000]');
  await page.getByRole('button', { name: 'Run inference' }).click();
  const out = page.locator('[data-output="output"]');
  await out.waitFor();
  const prob = JSON.parse(await out.locator('code').textContent() ?? '') as number[];
  assert.equal(prob.length, 1);
  assert.ok(prob[0]! >= 0 && prob[0]! < 0.5, `speech probability of silence: ${prob[0]}`);
  assert.match(await page.locator('pre[data-snippet="curl"]').textContent() ?? '', /"shape":\[1,1536\]/);
  await shot('try-wav');
});

test('Live: charts from the statistics and metrics, batch sizes of the requests sent', RUN, async () => {
  await page.getByRole('tab', { name: 'Live' }).click();
  for (let i = 0; i < 6; i++) {
    await fetch(`${server.url}/v2/models/identity_fp32/infer`, {
      method: 'POST', body: JSON.stringify({ inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }] }),
    });
  }
  await page.getByLabel('Model').selectOption('identity_fp32');
  // Rates need two samples (2 s apart): wait for the batch table, then for the charts' second sample.
  // The page samples on its own clock, possibly between the six requests: wait for the row that counts all six
  // (batch size 2, count 6), not for the first sample that shows batch size 2.
  await page.locator('[data-batches] tbody tr', { hasText: /^26$/ }).first().waitFor();
  const rows = await page.locator('[data-batches] tbody tr').allTextContents();
  assert.deepEqual(rows, ['26']);
  for (const title of ['Throughput', 'Latency p50 / p99', 'Queue vs compute per request', 'Cache hits / misses', 'Failures by reason', 'CPU', 'Memory']) {
    assert.equal(await page.locator(`[data-chart="${title}"] canvas`).count(), 1, title);
  }
  await page.waitForFunction(() => /([2-9]|\d\d+) samples/.test(document.body.textContent ?? ''));
  await shot('live');
});

test('Traces: tracing turned on from the page, a request\'s timeline of queue and compute', RUN, async () => {
  await page.getByRole('tab', { name: 'Traces' }).click();
  await page.getByRole('button', { name: 'Trace every request' }).click();
  await page.locator('[data-trace-level]', { hasText: 'TIMESTAMPS' }).waitFor();
  const res = await fetch(`${server.url}/v2/models/simple/infer`, {
    method: 'POST',
    body: JSON.stringify({ inputs: ['INPUT0', 'INPUT1'].map((name) => ({ name, datatype: 'INT32', shape: [1, 16], data: new Array(16).fill(1) })) }),
  });
  assert.equal(res.status, 200);
  await page.getByRole('button', { name: 'Refresh' }).click();
  const card = page.locator('[data-trace]').first();
  await card.waitFor();
  assert.match(await card.textContent() ?? '', /simple v1/);
  const label = await card.locator('.timeline').getAttribute('aria-label') ?? '';
  assert.match(label, /queue \d+ µs, compute input \d+ µs, compute infer \d+ µs, compute output \d+ µs/);
  await shot('traces');
});

test('dark theme and a phone-sized viewport: same page, keyboard tab switching', RUN, async () => {
  await page.setViewportSize({ width: 390, height: 800 });
  await page.getByRole('button', { name: /Switch to dark theme/ }).click();
  await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
  assert.equal(await page.getByRole('button', { name: /Switch to light theme/ }).count(), 1);
  await page.getByRole('tab', { name: 'Traces' }).focus();
  await page.keyboard.press('Home');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Models');
  await page.locator('[data-model="classifier"]').waitFor();
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.getAttribute('main', 'data-page'), 'live');
  assert.ok(existsSync(join(SHOTS, 'models.png')));
  await page.keyboard.press('ArrowLeft');
  await page.locator('[data-model="classifier"]').waitFor();
  await shot('models-dark-phone');
});
