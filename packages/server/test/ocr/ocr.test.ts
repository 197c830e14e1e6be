/**
 * The `ocr` ensemble (examples/models/ocr) end to end over real HTTP and gRPC sockets: images rendered by
 * Pillow with Debian fonts, sent as BYTES, read back exactly by the five steps (Python pre-processing,
 * PP-OCRv4 detection on ONNX Runtime, Python DB post-processing and cropping, PP-OCRv4 recognition, Python
 * CTC decoding).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { decodeBytesElements, encodeBytesElements } from '@inferd/protocol';
import { ocr } from '../../../../examples/clients/ocr.js';
import { repoRoot } from '../support/spawn-cli.js';
import { request } from '../support/http-harness.js';
import { readF32, type PythonHarness } from '../python/support.js';
import { bytesTensor, DEJAVU, floats, output, renderText, SKIP, startOcr, strings, WQY } from './support.js';

let h: PythonHarness;
const execFileAsync = promisify(execFile);
const CLIENT = fileURLToPath(new URL('../../../../examples/clients/ocr.ts', import.meta.url));

before(async () => {
  if (SKIP === false) h = await startOcr(['ocr', 'ocr_pre', 'ocr_det', 'ocr_det_post', 'ocr_rec', 'ocr_rec_post']);
});
after(async () => {
  await h?.close();
});

/** POST /v2/models/ocr/infer with the image as a binary BYTES input; outputs asked for as JSON. */
async function ocrHttp(png: Buffer): Promise<{ status: number; json: any }> {
  const blob = encodeBytesElements([png]);
  const header = JSON.stringify({
    inputs: [{ name: 'IMAGE', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: blob.byteLength } }],
    outputs: ['TEXT', 'BOXES', 'SCORES'].map((name) => ({ name, parameters: { binary_data: false } })),
  });
  const r = await request(h.httpPort, 'POST', '/v2/models/ocr/infer', {
    headers: { 'Inference-Header-Content-Length': Buffer.byteLength(header), 'Content-Type': 'application/octet-stream' },
    body: Buffer.concat([Buffer.from(header), blob]),
  });
  return { status: r.status, json: JSON.parse(r.text) };
}

test('HTTP (binary BYTES input, JSON outputs): "inferd 2026" in DejaVu Sans comes back exactly', { skip: SKIP }, async () => {
  const png = renderText(DEJAVU, 48, 'inferd 2026');
  const { status, json } = await ocrHttp(png);
  assert.equal(status, 200, JSON.stringify(json));
  const out = (name: string) => json.outputs.find((o: { name: string }) => o.name === name);
  assert.deepEqual(out('TEXT'), { name: 'TEXT', datatype: 'BYTES', shape: [1], data: ['inferd 2026'] });
  assert.deepEqual(out('BOXES').shape, [1, 4, 2]);
  // the box lies inside the image, around the text (rendered 48 px from the left and top edges)
  const [x0, y0, , , x2, y2] = out('BOXES').data as number[];
  assert.ok(x0! > 20 && x0! < 60 && y0! > 20 && y0! < 70 && x2! > x0! + 200 && y2! > y0! + 25, String(out('BOXES').data));
  assert.ok(out('SCORES').data[0] > 0.8, String(out('SCORES').data));
});

test('gRPC (raw contents): "推理服务器" in WenQuanYi Micro Hei comes back exactly', { skip: SKIP }, async () => {
  const png = renderText(WQY, 48, '推理服务器');
  const res = await h.grpc.call('ModelInfer', {
    model_name: 'ocr',
    inputs: [{ name: 'IMAGE', datatype: 'BYTES', shape: [1] }],
    raw_input_contents: [Buffer.from(encodeBytesElements([png]))],
  });
  const names: string[] = res.outputs.map((o: { name: string }) => o.name);
  const raw = (name: string): Uint8Array => res.raw_output_contents[names.indexOf(name)];
  assert.deepEqual(decodeBytesElements(raw('TEXT')).map((b) => Buffer.from(b).toString('utf8')), ['推理服务器']);
  assert.deepEqual(res.outputs[names.indexOf('BOXES')].shape.map(Number), [1, 4, 2]);
  assert.equal(readF32(raw('SCORES')).length, 1);
});

test('several lines come back top to bottom, each with its own box', { skip: SKIP }, async () => {
  const r = await h.server.infer({ modelName: 'ocr', inputs: [bytesTensor('IMAGE', [renderText(DEJAVU, 40, 'first line', 'second line 42')])] });
  assert.deepEqual(strings(output(r.outputs, 'TEXT')), ['first line', 'second line 42']);
  const boxes = floats(output(r.outputs, 'BOXES'));
  assert.deepEqual(output(r.outputs, 'BOXES')!.shape, [2, 4, 2]);
  assert.ok(boxes[1]! < boxes[9]!, 'the first line\'s box is above the second\'s');
});

test('an image without text: no lines, empty outputs of the declared shapes', { skip: SKIP }, async () => {
  const r = await h.server.infer({ modelName: 'ocr', inputs: [bytesTensor('IMAGE', [renderText(DEJAVU, 48, ' ')])] });
  assert.deepEqual(strings(output(r.outputs, 'TEXT')), []);
  assert.deepEqual(output(r.outputs, 'BOXES')!.shape, [0, 4, 2]);
  assert.deepEqual(output(r.outputs, 'SCORES')!.shape, [0]);
});

test('bytes that are no image: the first step\'s INVALID_ARG is the request\'s error (HTTP 400)', { skip: SKIP }, async () => {
  const { status, json } = await ocrHttp(Buffer.from('definitely not a PNG'));
  assert.equal(status, 400);
  assert.match(json.error, /IMAGE is not an image OpenCV can decode/);
});

test('four requests at once over HTTP each get their own text', { skip: SKIP }, async () => {
  const texts = ['inferd 2026', 'ensemble 4', 'ocr 123', 'hello world'];
  const results = await Promise.all(texts.map((t) => ocrHttp(renderText(DEJAVU, 48, t))));
  assert.deepEqual(results.map((r) => r.json.outputs.find((o: { name: string }) => o.name === 'TEXT').data), texts.map((t) => [t]));
});

test('word gaps the recognizer gives to the blank, with the space class second, still read as spaces', { skip: SKIP }, async () => {
  // at 32 and 18 px greedy CTC alone reads "HelloTriton2026": the space class is only 0.06-0.3 in those gaps
  const sizes = [18, 24, 32];
  const results = await Promise.all(sizes.map((size) => ocrHttp(renderText(DEJAVU, size, 'Hello Triton 2026'))));
  assert.deepEqual(results.map((r) => r.json.outputs.find((o: { name: string }) => o.name === 'TEXT').data),
    sizes.map(() => ['Hello Triton 2026']));
  // and no space appears between CJK characters or around a hyphen
  const cjk = await ocrHttp(renderText(WQY, 32, '推理服务器'));
  assert.deepEqual(cjk.json.outputs.find((o: { name: string }) => o.name === 'TEXT').data, ['推理服务器']);
  const hyphen = await ocrHttp(renderText(DEJAVU, 24, 'ABC-123'));
  assert.deepEqual(hyphen.json.outputs.find((o: { name: string }) => o.name === 'TEXT').data, ['ABC-123']);
});

test('examples/clients/ocr.ts: ocr() through @inferd/client, and the CLI prints the lines', { skip: SKIP }, async () => {
  const url = `http://127.0.0.1:${h.httpPort}`;
  const lines = await ocr(url, renderText(DEJAVU, 40, 'first line', 'second line 42'));
  assert.deepEqual(lines.map((l) => l.text), ['first line', 'second line 42']);
  assert.equal(lines[0]!.box.length, 4);
  const dir = mkdtempSync(join(tmpdir(), 'inferd-ocr-'));
  try {
    const file = join(dir, 'image.png');
    writeFileSync(file, renderText(WQY, 48, '推理服务器'));
    const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', CLIENT, file, '--url', url], { cwd: repoRoot });
    assert.equal(stdout, '推理服务器\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
