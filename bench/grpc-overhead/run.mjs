#!/usr/bin/env node
// bench/grpc-overhead: req/s of inferd's gRPC ModelInfer vs a bare grpc-js server that decodes the same
// ModelInferRequest and returns a fixed ModelInferResponse of the same size (inferd's own reply), for the
// identity model at concurrency 1 and 16. Server processes and a separate load-generator process.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { list, median, medianCpu, startServer, stopServer } from '../lib/harness.mjs';
import { Client, credentials } from '@grpc/grpc-js';
import { CHANNEL_OPTIONS, MODEL_INFER_PATH, inferenceService } from './service.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const durationMs = Number(process.env.BENCH_DURATION_MS ?? 2000);
const ELEMENTS = 16;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MODELS = list('BENCH_MODELS', ['identity_js', 'identity_fp32']);
const CONCURRENCIES = list('BENCH_CONCURRENCY', ['1', '16']).map(Number);

const method = inferenceService().ModelInfer;

/** ModelInferRequest bytes: FP32 INPUT0 [1, ELEMENTS] as raw_input_contents, as tritonclient.grpc sends it. */
function requestBytes(model) {
  const data = Float32Array.from({ length: ELEMENTS }, (_, i) => i * 0.5);
  return method.requestSerialize({
    model_name: model,
    inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, ELEMENTS] }],
    outputs: [{ name: 'OUTPUT0' }],
    raw_input_contents: [Buffer.from(data.buffer)],
  });
}

/** One ModelInfer with undecoded bytes both ways: inferd's reply as it is on the wire. */
function callOnce(port, request) {
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure(), CHANNEL_OPTIONS);
  const identity = (b) => b;
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(MODEL_INFER_PATH, identity, identity, request, (err, reply) => {
      client.close();
      if (err) reject(new Error(`inferd answered ${err.code}: ${err.details}`));
      else resolve(reply);
    });
  });
}

function load(server, request, concurrency) {
  const spec = {
    port: server.port, path: MODEL_INFER_PATH, requestBase64: request.toString('base64'), concurrency, durationMs,
    warmupMs: 1000, serverPid: server.child.pid,
  };
  const out = execFileSync(process.execPath, [here('./load-client.mjs'), JSON.stringify(spec)], { encoding: 'utf8' });
  return JSON.parse(out);
}

const inferd = await startServer(['--import', 'tsx', here('./inferd-server.ts')]);
const rows = [];
let replySize = 0;
try {
  const requests = Object.fromEntries(MODELS.map((m) => [m, requestBytes(m)]));
  // The bare server replies with inferd's own reply bytes for the first model, so both move the same data.
  const sample = await callOnce(inferd.port, requests[MODELS[0]]);
  const decoded = method.responseDeserialize(sample);
  if (decoded.raw_output_contents.length !== 1 || decoded.raw_output_contents[0].length !== ELEMENTS * 4) {
    throw new Error(`unexpected inferd reply: ${JSON.stringify(decoded)}`);
  }
  replySize = sample.length;
  const bare = await startServer([here('./bare-server.mjs'), sample.toString('base64')]);
  try {
    for (const concurrency of CONCURRENCIES) {
      // Targets alternate round by round so drift on a shared machine hits all of them alike; the median
      // of the rounds is reported.
      const runs = { bare: [], ...Object.fromEntries(MODELS.map((m) => [m, []])) };
      for (let round = 0; round < ROUNDS; round++) {
        runs.bare.push(load(bare, requests[MODELS[0]], concurrency));
        for (const model of MODELS) runs[model].push(load(inferd, requests[model], concurrency));
      }
      const base = median(runs.bare);
      for (const model of MODELS) {
        const r = median(runs[model]);
        const failed = runs[model].filter((x) => x.errors > 0);
        rows.push({
          model, concurrency, rps: r.rps, p50us: r.p50us, errors: failed.reduce((n, x) => n + x.errors, 0),
          firstError: failed[0]?.firstError, bareRps: base.rps, bareP50us: base.p50us, ratio: r.rps / base.rps,
          cpuUs: medianCpu(runs[model]), bareCpuUs: medianCpu(runs.bare),
        });
      }
    }
  } finally {
    stopServer(bare);
  }
} finally {
  stopServer(inferd);
}

const fmt = (n, d = 0) => n.toFixed(d);
const lines = [
  `grpc-overhead: ModelInfer with ${ELEMENTS} FP32 elements as raw_input_contents (reply ${replySize} bytes); ` +
    `median of ${ROUNDS} alternating rounds of ${durationMs} ms; load from a separate process over one channel.\n` +
    'identity_js = built-in JS identity backend (gRPC + core cost only); identity_fp32 = the example ONNX model on ONNX Runtime worker threads.\n' +
    'bare grpc-js = a grpc-js server that decodes the same request and returns a fixed reply of the same size.\n' +
    'server CPU µs/req = the server process\'s user+system CPU time (all threads, /proc/<pid>/stat) over the measured window / requests answered.\n',
  '| model | concurrency | inferd req/s | p50 µs | bare grpc-js req/s | bare p50 µs | ratio | inferd server CPU µs/req | bare server CPU µs/req |',
  '|---|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.model} | ${r.concurrency} | ${fmt(r.rps)} | ${fmt(r.p50us)} | ${fmt(r.bareRps)} | ${fmt(r.bareP50us)} | ${fmt(r.ratio, 2)} | ${fmt(r.cpuUs, 1)} | ${fmt(r.bareCpuUs, 1)} |`),
];
console.log(lines.join('\n'));
if (rows.some((r) => r.errors > 0)) {
  console.error('errors during the run:', rows.filter((r) => r.errors > 0));
  process.exit(1);
}
