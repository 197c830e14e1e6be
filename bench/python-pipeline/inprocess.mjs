// One in-process closed loop for bench/python-pipeline: `node inprocess.mjs <server dist index.js> <spec JSON>`.
// The server is the built package given (this tree's or a baseline's), so before and after run the same
// script. Each answer is checked against its own input (first float). Prints one JSON line.
import { pathToFileURL } from 'node:url';
import { closedLoop } from '../lib/closed-loop.mjs';

const [serverIndex, specText] = process.argv.slice(2);
const spec = JSON.parse(specText);
const { createInferenceServer } = await import(pathToFileURL(serverIndex).href);
const { server } = await createInferenceServer({ modelRepository: spec.repo });
const FLOATS = 3 * 224 * 224;
let next = 0;
const send = async () => {
  const value = (next++ % 1000) + 0.5;
  const data = new Uint8Array(new Float32Array(FLOATS).fill(value).buffer);
  const r = await server.infer({ modelName: 'pipe_py', inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 3, 224, 224], data }] });
  const out = r.outputs[0];
  if (out === undefined) return 'no output';
  const first = Buffer.from(out.data.buffer, out.data.byteOffset, 4).readFloatLE(0);
  return first === value ? undefined : `answer ${first} for input ${value}`;
};
const result = await closedLoop({ send, concurrency: spec.concurrency, durationMs: spec.durationMs, warmupMs: spec.warmupMs });
const stats = (server.modelStatistics('pipe_py')).model_stats[0];
process.stdout.write(`${JSON.stringify({ ...result, inferences: stats.inference_count, executions: stats.execution_count })}\n`);
await server.shutdown();
process.exit(0);
