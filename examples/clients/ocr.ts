/**
 * Reads the text in an image with the `ocr` example model (examples/models/ocr) over HTTP.
 *
 *   npx tsx examples/clients/ocr.ts photo.png [--url http://localhost:8000] [--boxes]
 *
 * Prints one recognised line per output line, top to bottom (with --boxes: score and box corners first).
 * Plain fetch and no inferd import, so the file can be copied into any Node >= 20 project: the image goes
 * as a BYTES tensor in the binary tensor extension (a JSON header, then the raw element: 4-byte
 * little-endian length + the file's bytes) and the outputs come back as JSON.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

interface OutputTensor {
  name: string;
  datatype: string;
  shape: number[];
  data: unknown[];
}

export interface OcrLine {
  text: string;
  score: number;
  /** 4 corners, clockwise from top-left, in the image's pixels */
  box: [number, number][];
}

/** One BYTES element, as the binary tensor extension carries it: uint32 LE length, then the bytes. */
function bytesElement(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + data.byteLength);
  new DataView(out.buffer).setUint32(0, data.byteLength, true);
  out.set(data, 4);
  return out;
}

export async function ocr(url: string, image: Uint8Array): Promise<OcrLine[]> {
  const blob = bytesElement(image);
  const header = new TextEncoder().encode(JSON.stringify({
    inputs: [{ name: 'IMAGE', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: blob.byteLength } }],
    outputs: [{ name: 'TEXT' }, { name: 'SCORES' }, { name: 'BOXES' }].map((o) => ({ ...o, parameters: { binary_data: false } })),
  }));
  const body = new Uint8Array(header.byteLength + blob.byteLength);
  body.set(header);
  body.set(blob, header.byteLength);
  const res = await fetch(`${url.replace(/\/$/, '')}/v2/models/ocr/infer`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/octet-stream', 'Inference-Header-Content-Length': String(header.byteLength) },
    body,
  });
  const json = (await res.json()) as { error?: string; outputs?: OutputTensor[] };
  if (!res.ok || json.outputs === undefined) throw new Error(`ocr failed (HTTP ${res.status}): ${json.error ?? 'no outputs'}`);
  const get = (name: string): unknown[] => json.outputs!.find((o) => o.name === name)?.data ?? [];
  const text = get('TEXT') as string[];
  const scores = get('SCORES') as number[];
  const boxes = get('BOXES') as number[];
  return text.map((t, i) => ({
    text: t,
    score: scores[i]!,
    box: [0, 1, 2, 3].map((c) => [boxes[i * 8 + c * 2]!, boxes[i * 8 + c * 2 + 1]!] as [number, number]),
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
