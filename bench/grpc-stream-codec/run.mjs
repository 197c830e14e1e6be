#!/usr/bin/env node
// bench/grpc-stream-codec: CPU per ModelStreamInfer message in the server's codec, in one process: the
// stock proto-loader serializer/deserializer (what the stream used before) against the ones the server
// registers (packages/server/dist, build with `npx tsc -b` first). Replies include the gRPC framing the
// server's interceptor does for both (in place for ours, by a copy for proto-loader's). Alternating rounds, median.
import { execFileSync } from 'node:child_process';
import { protoServices, serverInferenceService } from '../../packages/server/dist/frontends/grpc/service-definition.js';
import { frameMessage } from '../../packages/server/dist/frontends/grpc/frame-interceptor.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 300);

const stock = protoServices().inference.service.ModelStreamInfer;
const fast = serverInferenceService(protoServices().inference.service).ModelStreamInfer;

const FINAL = { triton_final_response: { bool_param: true } };
const fp32 = (n) => Buffer.from(Float32Array.from({ length: n }, (_, i) => i).buffer);
const reply = (bytes, parameters) => ({
  infer_response: {
    model_name: 'identity_fp32', model_version: '1', id: 'req-1', parameters,
    outputs: [{ name: 'OUTPUT0', datatype: 'FP32', shape: [1, bytes / 4] }], raw_output_contents: [fp32(bytes / 4)],
  },
});
const REPLIES = [
  ['reply, 16 FP32, final', reply(64, FINAL)],
  ['reply, 16 FP32, not final + 2 model parameters', reply(64, { triton_final_response: { bool_param: false }, seq: { int64_param: 7 }, tag: { string_param: 'a' } })],
  ['empty final (decoupled, opt-in)', { infer_response: { id: 'req-1', model_name: 'repeat', model_version: '1', parameters: FINAL } }],
  ['in-band error', { error_message: "Request for unknown model: 'nope' is not found", infer_response: { id: 'req-1', model_name: 'nope', model_version: '' } }],
  ['reply, 600 KB FP32, final', reply(600 * 1024, FINAL)],
];
const SEQUENCE_REQUEST = stock.requestSerialize({
  model_name: 'repeat', id: 'req-1', inputs: [{ name: 'IN', datatype: 'INT32', shape: [1] }], raw_input_contents: [fp32(1)],
  parameters: { sequence_id: { uint64_param: 42 }, sequence_start: { bool_param: true }, triton_enable_empty_final_response: { bool_param: true } },
});
const REQUEST = stock.requestSerialize({
  model_name: 'identity_fp32', id: 'req-1', inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 16] }],
  outputs: [{ name: 'OUTPUT0' }], raw_input_contents: [fp32(16)],
});

/** ns per call of `fn(arg)` over one round. */
function round(fn, arg) {
  let n = 0;
  const start = process.hrtime.bigint();
  const stop = start + BigInt(ROUND_MS) * 1_000_000n;
  let now = start;
  while (now < stop) {
    for (let i = 0; i < 64; i++) fn(arg);
    n += 64;
    now = process.hrtime.bigint();
  }
  return Number(now - start) / n;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function compare(before, after, arg) {
  for (let i = 0; i < 3; i++) { round(before, arg); round(after, arg); } // warm-up, JIT
  const b = [];
  const a = [];
  for (let r = 0; r < ROUNDS; r++) {
    b.push(round(before, arg));
    a.push(round(after, arg));
  }
  return [median(b), median(a)];
}

const load = execFileSync('uptime', { encoding: 'utf8' }).trim().replace(/.*load average:/, 'load average:');
const rows = [];
for (const [name, msg] of REPLIES) {
  if (!stock.responseSerialize(msg).equals(fast.responseSerialize(msg))) throw new Error(`bytes differ: ${name}`);
  rows.push([`encode ${name}`, ...compare((m) => frameMessage(stock.responseSerialize(m)), (m) => frameMessage(fast.responseSerialize(m)), msg)]);
}
rows.push(['decode request, 16 FP32 raw', ...compare(stock.requestDeserialize, fast.requestDeserialize, REQUEST)]);
rows.push(['decode request, 1 INT32 + 3 sequence parameters', ...compare(stock.requestDeserialize, fast.requestDeserialize, SEQUENCE_REQUEST)]);

console.log(`grpc-stream-codec: ns per ModelStreamInfer message, stock proto-loader codec vs the server's registered one (replies framed as the server sends them); median of ${ROUNDS} alternating rounds of ${ROUND_MS} ms, one process (${load} at the start of the table).`);
console.log('');
console.log('| message | proto-loader ns | inferd codec ns | speed-up |');
console.log('|---|---|---|---|');
for (const [name, b, a] of rows) console.log(`| ${name} | ${b.toFixed(0)} | ${a.toFixed(0)} | ${(b / a).toFixed(2)}× |`);
