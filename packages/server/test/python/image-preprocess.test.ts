/**
 * examples/models/image_preprocess: encoded PNG/JPEG bytes in, normalized FP32 CHW out. The images are
 * drawn and encoded by Pillow in the test setup, which also computes the expected tensors with numpy
 * (float64, written independently of the model's code); the model runs unchanged in a real stub, over
 * HTTP (binary extension) and gRPC, one image per batch item.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { encodeBytesElements } from '@inferd/protocol';
import { pythonInterpreter } from '../../src/backends/python/interpreter.js';
import { inferBinary, splitResponse } from '../support/http-harness.js';
import { exampleFiles, readF32, startPython, type PythonHarness } from './support.js';

const PIXELS = 3 * 224 * 224;

// Three images of other sizes and modes: an RGB gradient PNG (300x200), a JPEG (224x224, no resize)
// and a grayscale PNG (50x80, upscaled, converted to RGB).
const MAKE_IMAGES = String.raw`
import base64, io, json
import numpy as np
from PIL import Image

def encode(image, fmt):
    buf = io.BytesIO()
    image.save(buf, format=fmt)
    return buf.getvalue()

yy, xx = np.mgrid[0:200, 0:300]
rgb = np.stack([xx * 255 // 299, yy * 255 // 199, (xx + yy) % 256], axis=-1).astype(np.uint8)
yy, xx = np.mgrid[0:224, 0:224]
photo = np.stack([(xx * 3) % 256, (yy * 5) % 256, np.full_like(xx, 128)], axis=-1).astype(np.uint8)
gray = (np.arange(50 * 80).reshape(80, 50) % 256).astype(np.uint8)
encoded = [encode(Image.fromarray(rgb, "RGB"), "PNG"), encode(Image.fromarray(photo, "RGB"), "JPEG"),
           encode(Image.fromarray(gray, "L"), "PNG")]

mean = np.array([0.485, 0.456, 0.406]).reshape(3, 1, 1)
std = np.array([0.229, 0.224, 0.225]).reshape(3, 1, 1)
expected = []
for data in encoded:
    decoded = Image.open(io.BytesIO(data)).convert("RGB").resize((224, 224), Image.BILINEAR)
    chw = np.asarray(decoded).astype(np.float64).transpose(2, 0, 1) / 255.0
    expected.append(((chw - mean) / std).astype("<f4").tobytes())
print(json.dumps({"images": [base64.b64encode(e).decode() for e in encoded],
                  "expected": [base64.b64encode(e).decode() for e in expected]}))
`;

let h: PythonHarness;
let images: Buffer[];
let expected: number[][];

before(async () => {
  const made = JSON.parse(execFileSync(pythonInterpreter({}), ['-c', MAKE_IMAGES], { encoding: 'utf8', maxBuffer: 64 << 20 })) as {
    images: string[]; expected: string[];
  };
  images = made.images.map((b) => Buffer.from(b, 'base64'));
  expected = made.expected.map((b) => readF32(Buffer.from(b, 'base64')));
  h = await startPython(exampleFiles('image_preprocess'));
});
after(async () => {
  await h?.close();
});

function assertClose(actual: readonly number[], wanted: readonly number[], what: string): void {
  assert.equal(actual.length, wanted.length, what);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - wanted[i]!));
  assert.ok(worst < 1e-5, `${what}: largest difference ${worst}`);
}

test('HTTP (binary extension): a batch of three images in one request, values as numpy computes them', async () => {
  const blob = encodeBytesElements(images);
  const r = await inferBinary(h.httpPort, 'image_preprocess', {
    inputs: [{ name: 'IMAGE', shape: [3, 1], datatype: 'BYTES', parameters: { binary_data_size: blob.byteLength } }],
    outputs: [{ name: 'PIXELS', parameters: { binary_data: true } }],
  }, [blob]);
  assert.equal(r.status, 200, r.text);
  const { json, binary } = splitResponse(r);
  assert.deepEqual(json.outputs.map((o: { name: string; datatype: string; shape: number[] }) => [o.name, o.datatype, o.shape]),
    [['PIXELS', 'FP32', [3, 3, 224, 224]]]);
  const all = readF32(binary);
  for (let i = 0; i < 3; i++) assertClose(all.slice(i * PIXELS, (i + 1) * PIXELS), expected[i]!, `image ${i}`);
});

test('gRPC: concurrent single-image requests (dynamically batched) each get their own image', async () => {
  const results = await Promise.all(images.map((image) => h.grpc.call('ModelInfer', {
    model_name: 'image_preprocess',
    inputs: [{ name: 'IMAGE', datatype: 'BYTES', shape: [1, 1] }],
    raw_input_contents: [Buffer.from(encodeBytesElements([image]))],
  })));
  results.forEach((res, i) => {
    assert.deepEqual(res.outputs[0].shape.map(Number), [1, 3, 224, 224]);
    assertClose(readF32(res.raw_output_contents[0]), expected[i]!, `image ${i}`);
  });
});

test('bytes that are no image: INVALID_ARG naming the image', async () => {
  const err = await h.grpc.call('ModelInfer', {
    model_name: 'image_preprocess',
    inputs: [{ name: 'IMAGE', datatype: 'BYTES', shape: [2, 1] }],
    raw_input_contents: [Buffer.from(encodeBytesElements([images[0]!, Buffer.from('not an image')]))],
  }).then(() => undefined, (e: { code: number; details: string }) => e);
  assert.ok(err !== undefined);
  assert.equal(err.code, 3); // INVALID_ARGUMENT
  assert.match(err.details, /image 1 could not be decoded/);
});
