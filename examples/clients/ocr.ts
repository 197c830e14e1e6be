/**
 * Reads the text in an image with the `ocr` example model (examples/models/ocr) over HTTP.
 *
 *   npx tsx examples/clients/ocr.ts photo.png [--url http://localhost:8000] [--boxes]
 *
 * Prints one recognised line per output line, top to bottom (with --boxes: score and box corners first).
 * Uses `@inferd/client`: the image goes as one BYTES element in the binary tensor extension and the three
 * outputs come back as binary tensors.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { HttpClient, InferInput, InferRequestedOutput } from '@inferd/client/http';

export interface OcrLine {
  text: string;
  score: number;
  /** 4 corners, clockwise from top-left, in the image's pixels */
  box: [number, number][];
}

export async function ocr(url: string, image: Uint8Array): Promise<OcrLine[]> {
  const client = new HttpClient(url);
  const result = await client.infer('ocr', [new InferInput('IMAGE', [1], 'BYTES').setData([image])], {
    outputs: ['TEXT', 'SCORES', 'BOXES'].map((name) => new InferRequestedOutput(name)),
  });
  const text = result.asStrings('TEXT');
  const scores = result.asTypedArray('SCORES');
  const boxes = result.asTypedArray('BOXES');
  return text.map((t, i) => ({
    text: t,
    score: Number(scores[i]),
    box: [0, 1, 2, 3].map((c) => [Number(boxes[i * 8 + c * 2]), Number(boxes[i * 8 + c * 2 + 1])] as [number, number]),
  }));
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { url: { type: 'string', default: 'http://localhost:8000' }, boxes: { type: 'boolean', default: false } },
  });
  if (positionals.length !== 1) {
    console.error('usage: ocr.ts IMAGE_FILE [--url http://localhost:8000] [--boxes]');
    process.exit(2);
  }
  const lines = await ocr(values.url!, readFileSync(positionals[0]!));
  for (const line of lines) {
    if (values.boxes) console.log(`${line.score.toFixed(3)}\t${line.box.map(([x, y]) => `${x},${y}`).join(' ')}\t${line.text}`);
    else console.log(line.text);
  }
}

// run as a script (not when imported for ocr())
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
