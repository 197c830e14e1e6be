/**
 * The OCR example's steps (examples/models/ocr_pre, ocr_det, ocr_det_post, ocr_rec, ocr_rec_post) each on
 * its own through a real server: real Python stubs (OpenCV, pyclipper, shapely), the real PP-OCRv4 ONNX
 * models, images rendered by Pillow. The last test chains the five calls by hand, as the `ocr` ensemble does.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Tensor } from '../../src/index.js';
import type { PythonHarness } from '../python/support.js';
import { EXAMPLES } from '../python/support.js';
import { bytesTensor, DEJAVU, floats, output, renderText, SKIP, startOcr, strings, WQY } from './support.js';

let h: PythonHarness;
const STEPS = ['ocr_pre', 'ocr_det', 'ocr_det_post', 'ocr_rec', 'ocr_rec_post'];

before(async () => {
  if (SKIP === false) h = await startOcr(STEPS);
});
after(async () => {
  await h?.close();
});

async function infer(modelName: string, inputs: Tensor[]): Promise<readonly Tensor[]> {
  const r = await h.server.infer({ modelName, inputs });
  if (r.error !== undefined) throw r.error;
  return r.outputs;
}

/** The outputs of `from` fed to `to` under new names: { toInput: fromOutput }. */
function rename(outputs: readonly Tensor[], names: Record<string, string>): Tensor[] {
  return Object.entries(names).map(([to, from]) => ({ ...output(outputs, from)!, name: to }));
}

async function ocrByHand(png: Buffer): Promise<{ text: string[]; boxes: Float32Array; scores: Float32Array }> {
  const pre = await infer('ocr_pre', [bytesTensor('IMAGE', [png])]);
  const det = await infer('ocr_det', rename(pre, { x: 'DET_INPUT' }));
  const post = await infer('ocr_det_post', [...rename(det, { PROB_MAP: 'sigmoid_0.tmp_0' }), output(pre, 'IMAGE_BGR')!]);
  const rec = await infer('ocr_rec', rename(post, { x: 'CROPS' }));
  const dec = await infer('ocr_rec_post', [...rename(rec, { PROBS: 'softmax_11.tmp_0' }), output(post, 'DET_BOXES')!]);
  return { text: strings(output(dec, 'TEXT')), boxes: floats(output(dec, 'BOXES')), scores: floats(output(dec, 'SCORES')) };
}

test('ocr_pre: image bytes -> detector input with sides multiples of 32, and the decoded BGR image', { skip: SKIP }, async () => {
  const png = renderText(DEJAVU, 48, 'inferd 2026');
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const outs = await infer('ocr_pre', [bytesTensor('IMAGE', [png])]);
  const x = output(outs, 'DET_INPUT')!;
  assert.equal(x.datatype, 'FP32');
  assert.deepEqual(x.shape.slice(0, 2), [1, 3]);
  // each side rounded to a multiple of 32 (Python's round: halves to even, as PaddleOCR)
  for (const [side, original] of [[x.shape[2]!, height], [x.shape[3]!, width]] as const) {
    assert.ok(side % 32 === 0 && Math.abs(side - original) <= 16, `${side} for ${original}`);
  }
  // white, ImageNet-normalized: (1 - mean) / std per channel (BGR order, as PaddleOCR feeds OpenCV images)
  const v = floats(x);
  const plane = x.shape[2]! * x.shape[3]!;
  assert.ok(Math.abs(v[0]! - (1 - 0.485) / 0.229) < 1e-4, String(v[0]));
  assert.ok(Math.abs(v[plane]! - (1 - 0.456) / 0.224) < 1e-4, String(v[plane]));
  const img = output(outs, 'IMAGE_BGR')!;
  assert.deepEqual([img.datatype, ...img.shape], ['UINT8', height, width, 3]);
});

test('ocr_pre: bytes that are no image are the client\'s error (INVALID_ARG)', { skip: SKIP }, async () => {
  await assert.rejects(h.server.infer({ modelName: 'ocr_pre', inputs: [bytesTensor('IMAGE', ['not an image'])] }),
    { code: 'INVALID_ARG', message: 'IMAGE is not an image OpenCV can decode' });
});

test('ocr_det: the probability map has the input\'s height and width, text pixels high, margins low', { skip: SKIP }, async () => {
  const pre = await infer('ocr_pre', [bytesTensor('IMAGE', [renderText(DEJAVU, 48, 'inferd 2026')])]);
  const x = output(pre, 'DET_INPUT')!;
  const det = await infer('ocr_det', rename(pre, { x: 'DET_INPUT' }));
  const map = output(det, 'sigmoid_0.tmp_0')!;
  assert.deepEqual(map.shape, [1, 1, x.shape[2], x.shape[3]]);
  const p = floats(map);
  const w = map.shape[3]!;
  const h0 = map.shape[2]!;
  assert.ok(p[0]! < 0.1, `corner ${p[0]}`);
  // the middle row crosses the text line
  let max = 0;
  for (let i = 0; i < w; i++) max = Math.max(max, p[Math.floor(h0 / 2) * w + i]!);
  assert.ok(max > 0.5, `middle row max ${max}`);
});

test('ocr_det_post: one box per line in reading order, crops of height 48 at least 320 wide', { skip: SKIP }, async () => {
  const png = renderText(DEJAVU, 40, 'first line', 'second line 42');
  const pre = await infer('ocr_pre', [bytesTensor('IMAGE', [png])]);
  const det = await infer('ocr_det', rename(pre, { x: 'DET_INPUT' }));
  const post = await infer('ocr_det_post', [...rename(det, { PROB_MAP: 'sigmoid_0.tmp_0' }), output(pre, 'IMAGE_BGR')!]);
  const boxes = output(post, 'DET_BOXES')!;
  assert.deepEqual(boxes.shape, [2, 4, 2]);
  const b = floats(boxes);
  assert.ok(b[1]! < b[9]!, `first box above the second: ${[...b]}`);
  const crops = output(post, 'CROPS')!;
  assert.equal(crops.shape[0], 2);
  assert.deepEqual(crops.shape.slice(1, 3), [3, 48]);
  assert.ok(crops.shape[3]! >= 320);
});

test('ocr_det_post: a blank image has no box and one blank crop (so ocr_rec still gets a batch)', { skip: SKIP }, async () => {
  const png = renderText(DEJAVU, 48, ' ');
  const pre = await infer('ocr_pre', [bytesTensor('IMAGE', [png])]);
  const det = await infer('ocr_det', rename(pre, { x: 'DET_INPUT' }));
  const post = await infer('ocr_det_post', [...rename(det, { PROB_MAP: 'sigmoid_0.tmp_0' }), output(pre, 'IMAGE_BGR')!]);
  assert.deepEqual(output(post, 'DET_BOXES')!.shape, [0, 4, 2]);
  assert.deepEqual(output(post, 'CROPS')!.shape, [1, 3, 48, 320]);
});

test('ocr_rec_post: CTC greedy decode of a known recognizer output with ppocr_keys_v1.txt', { skip: SKIP }, async () => {
  const keys = readFileSync(EXAMPLES + 'ocr_rec_post/ppocr_keys_v1.txt', 'utf8').split('\n');
  const cls = (ch: string): number => (ch === ' ' ? 6624 : keys.indexOf(ch) + 1);
  // time steps: i i <blank> n n <blank> <space> 推 <blank> 推  -> "in 推推"; a second row all blank
  const steps = ['i', 'i', '', 'n', 'n', '', ' ', '推', '', '推'];
  const C = 6625;
  const probs = new Float32Array(2 * steps.length * C);
  steps.forEach((ch, t) => {
    probs[t * C + (ch === '' ? 0 : cls(ch))] = 0.9;
    probs[(steps.length + t) * C] = 1;
  });
  const boxes = new Float32Array([0, 0, 10, 0, 10, 5, 0, 5, 0, 9, 10, 9, 10, 14, 0, 14]);
  const dec = await infer('ocr_rec_post', [
    { name: 'PROBS', datatype: 'FP32', shape: [2, steps.length, C], data: new Uint8Array(probs.buffer) },
    { name: 'DET_BOXES', datatype: 'FP32', shape: [2, 4, 2], data: new Uint8Array(boxes.buffer) },
  ]);
  // the all-blank line decodes to nothing and is dropped with its box
  assert.deepEqual(strings(output(dec, 'TEXT')), ['in 推推']);
  assert.deepEqual(output(dec, 'BOXES')!.shape, [1, 4, 2]);
  assert.deepEqual([...floats(output(dec, 'BOXES'))], [...boxes.slice(0, 8)]);
  assert.ok(Math.abs(floats(output(dec, 'SCORES'))[0]! - 0.9) < 1e-6);
});

test('the five steps chained by hand read "inferd 2026" and "推理服务器" exactly', { skip: SKIP }, async () => {
  const latin = await ocrByHand(renderText(DEJAVU, 48, 'inferd 2026'));
  assert.deepEqual(latin.text, ['inferd 2026']);
  assert.equal(latin.boxes.length, 8);
  assert.ok(latin.scores[0]! > 0.8, String(latin.scores[0]));
  const chinese = await ocrByHand(renderText(WQY, 48, '推理服务器'));
  assert.deepEqual(chinese.text, ['推理服务器']);
});
