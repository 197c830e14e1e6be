// Writes the compute-bound bench repository to a temp dir and prints its path: `resnet50` (our
// ResNet-50-shaped model, max_batch_size 8, I/O left to auto-complete) and `ocr_det` (the PP-OCRv4
// detector from examples/models, as the example repository configures it).
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resnet50Model } from '../lib/resnet50-model.js';

const examples = fileURLToPath(new URL('../../examples/models/', import.meta.url));
const repo = mkdtempSync(join(tmpdir(), 'inferd-bench-compute-'));
mkdirSync(join(repo, 'resnet50', '1'), { recursive: true });
writeFileSync(join(repo, 'resnet50', '1', 'model.onnx'), resnet50Model());
writeFileSync(join(repo, 'resnet50', 'config.pbtxt'), 'platform: "onnxruntime_onnx"\nmax_batch_size: 8\n');
mkdirSync(join(repo, 'ocr_det', '1'), { recursive: true });
copyFileSync(join(examples, 'ocr_det', '1', 'model.onnx'), join(repo, 'ocr_det', '1', 'model.onnx'));
copyFileSync(join(examples, 'ocr_det', 'config.pbtxt'), join(repo, 'ocr_det', 'config.pbtxt'));
process.stdout.write(repo + '\n');
