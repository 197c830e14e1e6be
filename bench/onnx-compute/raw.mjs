#!/usr/bin/env node
// The baseline: onnxruntime-node in one process, one session with intra-op threads = the machine's logical
// cores (os.availableParallelism(), the same count inferd's pool gets; ORT's own default counts physical cores),
// session.run back to back on the same input. Prints closedLoop's JSON line.
// Usage: node raw.mjs <model.onnx> <input name> <dims comma list> <durationMs>
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import ort from 'onnxruntime-node';
import { closedLoop } from '../lib/closed-loop.mjs';

const [file, name, dimsText, durationText] = process.argv.slice(2);
const dims = dimsText.split(',').map(Number);
const session = await ort.InferenceSession.create(file, { intraOpNumThreads: availableParallelism() });
const data = new Float32Array(dims.reduce((a, b) => a * b, 1)).map((_, i) => (i % 255) / 255);
const feeds = { [name]: new ort.Tensor('float32', data, dims) };
const send = async () => {
  await session.run(feeds);
  return undefined;
};
const result = await closedLoop({ send, concurrency: 1, warmupMs: 2000, durationMs: Number(durationText) });
const threads = Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN);
process.stdout.write(JSON.stringify({ ...result, threads }) + '\n');
