/**
 * Test support for the OCR example (examples/models/ocr*): images rendered with Pillow in Debian's
 * python3 (the same interpreter the Python backend runs), BYTES tensors, and a server over a temp
 * repository holding just the OCR models asked for.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeBytesElements, encodeBytesElements } from '@inferd/protocol';
import type { Tensor } from '../../src/index.js';
import { EXAMPLES, exampleFiles, startPython, type PythonHarness } from '../python/support.js';

export const DEJAVU = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
export const WQY = '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc';
const RENDER = fileURLToPath(new URL('./render.py', import.meta.url));
const PYTHON = process.env.INFERD_PYTHON ?? '/usr/bin/python3';

/** A PNG of the lines (top to bottom), black on white, `size` px, rendered by Pillow. */
export function renderText(font: string, size: number, ...lines: string[]): Buffer {
  return execFileSync(PYTHON, [RENDER, font, String(size), ...lines], { maxBuffer: 64 << 20 });
}

/** The real models are copied from node_modules by `npm run build`; a checkout without them skips. */
export const MODELS_MISSING = ['ocr_det/1/model.onnx', 'ocr_rec/1/model.onnx', 'ocr_rec_post/ppocr_keys_v1.txt']
  .filter((f) => !existsSync(EXAMPLES + f));
export const SKIP = MODELS_MISSING.length > 0 ? `run npm run build first (missing ${MODELS_MISSING.join(', ')})` : false;

export function startOcr(models: readonly string[]): Promise<PythonHarness> {
  return startPython(Object.assign({}, ...models.map((m) => exampleFiles(m))));
}

export function bytesTensor(name: string, elements: readonly (string | Uint8Array)[], shape = [elements.length]): Tensor {
  return { name, datatype: 'BYTES', shape, data: encodeBytesElements(elements) };
}

export function strings(t: Tensor | undefined): string[] {
  if (t === undefined) throw new Error('no such output');
  return decodeBytesElements(t.data).map((b) => Buffer.from(b).toString('utf8'));
}

export function floats(t: Tensor | undefined): Float32Array {
  if (t === undefined) throw new Error('no such output');
  return new Float32Array(t.data.slice().buffer);
}

export function output(outputs: readonly Tensor[], name: string): Tensor | undefined {
  return outputs.find((o) => o.name === name);
}
