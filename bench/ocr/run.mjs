#!/usr/bin/env node
// bench/ocr: what serving the OCR pipeline costs on top of its two networks. The CLI serves the `ocr`
// ensemble (examples/models/ocr*, copied into a temp repository); a separate load process keeps 1, then 4,
// closed-loop HTTP connections busy sending one rendered image (4 text lines, Chinese and Latin, PNG) as a
// binary BYTES input. Then, in this process, the PP-OCRv4 det and rec ONNX files run directly on
// onnxruntime-node InferenceSessions (the server's session options: 1 intra-op thread, all graph
// optimizations) on the very tensors the pipeline fed them for that image (taken from the ocr_pre and
// ocr_det_post steps over HTTP). The ratios against raw det + rec show what Python pre/post-processing,
// the stub hops, the ensemble and HTTP add (and, above concurrency 1, what overlapping steps win back). Needs `npm run build` (for the
// models and the CLI) and /usr/bin/python3 with numpy, Pillow, OpenCV, pyclipper, shapely (or INFERD_PYTHON).
// Env: BENCH_DURATION_MS, BENCH_ROUNDS, BENCH_CONCURRENCY (comma list), BENCH_RAW_RUNS.
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { list, median, startCli, stopServer } from '../lib/harness.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const examples = here('../../examples/models/');
const durationMs = Number(process.env.BENCH_DURATION_MS ?? 6000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = list('BENCH_CONCURRENCY', ['1', '4']).map(Number);
const RAW_RUNS = Number(process.env.BENCH_RAW_RUNS ?? 20);
const PYTHON = process.env.INFERD_PYTHON ?? '/usr/bin/python3';
const MODELS = ['ocr', 'ocr_pre', 'ocr_det', 'ocr_det_post', 'ocr_rec', 'ocr_rec_post'];
// no spaces: at this size the recognizer often reads WenQuanYi's narrow Latin space as none
const LINES = ['inferd', '推理服务器', 'Triton-compatible', '模型仓库examples/models'];

for (const f of ['ocr_det/1/model.onnx', 'ocr_rec/1/model.onnx', 'ocr_rec_post/ppocr_keys_v1.txt']) {
  if (!existsSync(join(examples, f))) throw new Error(`examples/models/${f} missing: run npm run build first`);
}

/** One BYTES element in the binary form (uint32 LE length + bytes). */
const bytesElement = (b) => Buffer.concat([Buffer.from(new Uint32Array([b.length]).buffer), b]);

function post(port, path, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: body === undefined ? 'GET' : 'POST', headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', (e) => reject(new Error(`request to :${port}${path} failed: ${e.message}`)));
    req.end(body);
  });
}

/** A binary-extension request: inputs `{ name, datatype, shape, data: Buffer }`, every output binary. */
function inferBody(inputs, outputs) {
  const header = Buffer.from(JSON.stringify({
    inputs: inputs.map(({ name, datatype, shape, data }) => ({ name, datatype, shape, parameters: { binary_data_size: data.length } })),
    outputs: outputs.map((name) => ({ name, parameters: { binary_data: true } })),
  }));
  return {
    body: Buffer.concat([header, ...inputs.map((i) => i.data)]),
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) },
  };
}

/** Outputs of a binary-extension answer by name: `{ datatype, shape, data: Buffer }`. */
async function infer(port, model, inputs, outputs) {
  const { body, headers } = inferBody(inputs, outputs);
  const r = await post(port, `/v2/models/${model}/infer`, body, headers);
  if (r.status !== 200) throw new Error(`${model} answered ${r.status}: ${r.body}`);
  const n = Number(r.headers['inference-header-content-length']);
  const json = JSON.parse(r.body.subarray(0, n).toString('utf8'));
  let offset = n;
  const out = {};
  for (const o of json.outputs) {
    const size = o.parameters.binary_data_size;
    out[o.name] = { datatype: o.datatype, shape: o.shape, data: r.body.subarray(offset, offset + size) };
    offset += size;
  }
  return out;
}

const f32 = (b) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));

function load(server, body, headers, concurrency) {
  const spec = {
    url: `http://127.0.0.1:${server.port}/v2/models/ocr/infer`, headers, bodyBase64: body.toString('base64'),
    concurrency, durationMs, warmupMs: 2000,
  };
  return JSON.parse(execFileSync(process.execPath, [here('../lib/load-client.mjs'), JSON.stringify(spec)], { encoding: 'utf8' }));
}

/** Median ms of `RAW_RUNS` runs of one session on one input, after 3 warm-ups. */
async function rawMs(file, input) {
  const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' });
  const feeds = { x: new ort.Tensor('float32', f32(input.data), input.shape) };
  const times = [];
  for (let i = 0; i < RAW_RUNS + 3; i++) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    if (i >= 3) times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  await session.release();
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const loadAtStart = loadavg()[0];
const png = execFileSync(PYTHON, [here('../../packages/server/test/ocr/render.py'), '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc', '32', ...LINES]);
const imageInput = { name: 'IMAGE', datatype: 'BYTES', shape: [1], data: bytesElement(png) };
const repo = mkdtempSync(join(tmpdir(), 'inferd-bench-ocr-'));
for (const m of MODELS) cpSync(join(examples, m), join(repo, m), { recursive: true });

const runs = new Map(CONCURRENCY.map((c) => [c, []]));
let text;
let detInput;
let crops;
let stepMs;
const server = await startCli(['--model-repository', repo, '--http-port', '0', '--http-address', '127.0.0.1', '--allow-grpc=false', '--allow-metrics=false']);
try {
  // the pipeline reads the image right, and the tensors its two networks get, for the raw runs below
  const result = await infer(server.port, 'ocr', [imageInput], ['TEXT']);
  text = [];
  for (let o = 0, b = result.TEXT.data; o < b.length; o += 4 + b.readUInt32LE(o)) text.push(b.subarray(o + 4, o + 4 + b.readUInt32LE(o)).toString('utf8'));
  const pre = await infer(server.port, 'ocr_pre', [imageInput], ['DET_INPUT', 'IMAGE_BGR']);
  detInput = pre.DET_INPUT;
  const det = await infer(server.port, 'ocr_det', [{ name: 'x', ...pre.DET_INPUT }], ['sigmoid_0.tmp_0']);
  const post_ = await infer(server.port, 'ocr_det_post', [{ name: 'PROB_MAP', ...det['sigmoid_0.tmp_0'] }, { name: 'IMAGE_BGR', ...pre.IMAGE_BGR }], ['CROPS']);
  crops = post_.CROPS;

  const before = JSON.parse((await post(server.port, '/v2/models/stats')).body.toString('utf8')).model_stats;
  const { body, headers } = inferBody([imageInput], ['TEXT', 'BOXES', 'SCORES']);
  // concurrency levels alternate round by round so drift on a shared machine hits all alike
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of CONCURRENCY) runs.get(c).push(load(server, body, headers, c));
  }
  // mean compute time per execution of each step over the whole run (the server's statistics)
  const after = JSON.parse((await post(server.port, '/v2/models/stats')).body.toString('utf8')).model_stats;
  stepMs = Object.fromEntries(MODELS.slice(1).map((m) => {
    const a = after.find((s) => s.name === m);
    const b = before.find((s) => s.name === m);
    const d = (k) => a.inference_stats[k].ns - b.inference_stats[k].ns;
    const n = a.inference_stats.success.count - b.inference_stats.success.count;
    return [m, n === 0 ? NaN : (d('compute_input') + d('compute_infer') + d('compute_output')) / n / 1e6];
  }));
} finally {
  stopServer(server);
  rmSync(repo, { recursive: true, force: true });
}

const det = await rawMs(join(examples, 'ocr_det/1/model.onnx'), detInput);
const rec = await rawMs(join(examples, 'ocr_rec/1/model.onnx'), crops);
const raw = det + rec;
const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const rows = CONCURRENCY.map((c) => ({ c, r: median(runs.get(c)), errors: runs.get(c).reduce((n, x) => n + x.errors, 0) }));
const lines = [
  `ocr: the \`ocr\` ensemble (Python pre -> PP-OCRv4 det -> Python DB post + crops -> PP-OCRv4 rec -> Python CTC), served by the CLI ` +
    `(one instance per Python step, ONNX Runtime's default 2 per network); one ${png.readUInt32BE(16)}×${png.readUInt32BE(20)} PNG of ` +
    `${LINES.length} lines (WenQuanYi Micro Hei 32 px) sent as binary BYTES over HTTP by closed-loop connections in a separate process; ` +
    `median of ${ROUNDS} alternating rounds of ${durationMs} ms; 1-min load average at start ${fmt(loadAtStart, 1)}.\n` +
    `Read back: ${JSON.stringify(text)}.\n` +
    `raw ORT = onnxruntime-node InferenceSession.run in one process on the same tensors (det ${detInput.shape.join('×')}: ` +
    `${fmt(det, 1)} ms, rec ${crops.shape.join('×')}: ${fmt(rec, 1)} ms; median of ${RAW_RUNS}), 1 intra-op thread as the server's sessions. ` +
    `raw-bound images/s = 1000 / (raw det + raw rec) ms, the rate of the two networks back to back on one thread; ` +
    `throughput ratio = images/s / that; latency ratio = end-to-end p50 / (raw det + raw rec) (queueing included above concurrency 1).\n` +
    `Mean compute ms per execution in the server (statistics over the run): ` +
    `${Object.entries(stepMs).map(([m, ms]) => `${m} ${fmt(ms, 1)}`).join(', ')}.\n`,
  '| concurrency | images/s | p50 ms | p99 ms | raw ORT det + rec ms | raw-bound images/s | throughput ratio | latency ratio |',
  '|---|---|---|---|---|---|---|---|',
  ...rows.map(({ c, r }) =>
    `| ${c} | ${fmt(r.rps, 2)} | ${fmt(r.p50us / 1000, 1)} | ${fmt(r.p99us / 1000, 1)} | ${fmt(raw, 1)} | ${fmt(1000 / raw, 2)} | ` +
      `${fmt(r.rps / (1000 / raw), 2)} | ${fmt(r.p50us / 1000 / raw, 2)} |`),
];
console.log(lines.join('\n'));
if (rows.some((r) => r.errors > 0)) {
  console.error('errors during the run:', rows.filter((r) => r.errors > 0));
  process.exit(1);
}
