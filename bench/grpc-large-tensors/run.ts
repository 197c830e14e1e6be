// bench/grpc-large-tensors: 600 KiB FP32 tensors through an ONNX Identity model, over ONE gRPC connection
// (ModelInfer, HTTP/2 multiplexing the calls) vs over HTTP binary tensors (one keep-alive connection per
// loop), both at concurrency 16, against the same `inferd serve` (the built CLI) in the same run. Rounds
// alternate between the two so drift on a shared machine hits both alike; medians are reported.
// What it shows: whether one gRPC connection carries large messages as fast as HTTP/1.1 does (HTTP/2
// flow-control windows, framing, codec), not the model.
//
//   npx tsx bench/grpc-large-tensors/run.ts
//   env: BENCH_ROUNDS (3), BENCH_DURATION_MS (3000), BENCH_CONCURRENCY (16), BENCH_KIB (600),
//        BENCH_CLI (another build's packages/server/dist/cli/main.js, e.g. for a before/after; no build then),
//        BENCH_SERVER_ARGS (extra `serve` flags, space-separated), BENCH_CLIENT_WINDOW (the gRPC client's
//        'grpc-node.flow_control_window' in bytes; 0 = grpc-js's own 64 KiB; default @inferd/client's default),
//        BENCH_NODE_ARGS (node flags for the server, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`; read the
//        profiles with bench/lib/cpuprofile-summary.mjs), BENCH_PROTOCOLS (`grpc,http`; one of them to profile it alone),
//        BENCH_GRPC_CLIENT (`h2`, default: bench/lib/grpc-h2-load-client.mjs, a bare node:http2 client that sends one
//        pre-framed buffer and drops the reply as the HTTP client does; `grpc-js`: grpc-js's Client, whose copies cost
//        ~1.4 ms of client CPU per call, taken from the server on a 2-core machine)
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, credentials } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { PROTO_DIR, PROTO_FILES, PROTO_LOADER_OPTIONS } from '@inferd/protocol';
import { identityModel } from '../../scripts/onnx-builder.js';
import { cliCommand } from '../lib/cli-command.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const ELEMENTS = (Number(process.env.BENCH_KIB ?? 600) * 1024) / 4;
const MODEL = 'identity_large';
const protocols = (process.env.BENCH_PROTOCOLS ?? 'grpc,http').split(',');
const grpcClient = process.env.BENCH_GRPC_CLIENT ?? 'h2';

const cli = process.env.BENCH_CLI ?? join(root, 'packages/server/dist/cli/main.js');
// Always measure the current sources unless another build was named: an incremental build is quick.
if (process.env.BENCH_CLI === undefined) {
  execFileSync('npx', ['tsc', '-b', 'packages/protocol', 'packages/client', 'packages/server'], { cwd: root, stdio: 'inherit' });
}
const clientWindow = process.env.BENCH_CLIENT_WINDOW !== undefined
  ? Number(process.env.BENCH_CLIENT_WINDOW)
  : (await import('@inferd/client')).DEFAULT_GRPC_FLOW_CONTROL_WINDOW;

function makeRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-grpc-large-'));
  mkdirSync(join(dir, MODEL, '1'), { recursive: true });
  writeFileSync(
    join(dir, MODEL, 'config.pbtxt'),
    'platform: "onnxruntime_onnx"\nmax_batch_size: 0\n' +
      'input [{ name: "INPUT0" data_type: TYPE_FP32 dims: [-1] }]\noutput [{ name: "OUTPUT0" data_type: TYPE_FP32 dims: [-1] }]\n' +
      'instance_group [{ count: 2 kind: KIND_CPU }]\n',
  );
  writeFileSync(join(dir, MODEL, '1', 'model.onnx'), identityModel('FLOAT', [-1]));
  return dir;
}

interface Server { child: ChildProcess; http: number; grpc: number }

function startServer(repo: string): Promise<Server> {
  const extra = (process.env.BENCH_SERVER_ARGS ?? '').split(' ').filter((a) => a !== '');
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  // As users start it: behind the `inferd` launcher's malloc tuning (BENCH_MALLOC_TUNING=off: glibc's defaults).
  const [command, argv, env] = cliCommand(cli, [
    'serve', '--model-repository', repo, '--allow-metrics', 'false', '--http-port', '0', '--http-address', '127.0.0.1',
    '--grpc-port', '0', '--grpc-address', '127.0.0.1', ...extra,
  ], nodeArgs);
  const child = spawn(command, argv, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let log = '';
    const onData = (d: Buffer): void => {
      log += d;
      const h = /Started HTTPService at [^:\s]+:(\d+)/.exec(log);
      const g = /Started GRPCInferenceService at [^:\s]+:(\d+)/.exec(log);
      if (h && g) {
        child.stdout!.off('data', onData);
        child.stderr!.off('data', onData);
        // Keep draining the pipes so a chatty server never blocks on a full pipe.
        child.stdout!.resume();
        child.stderr!.resume();
        resolve({ child, http: Number(h[1]), grpc: Number(g[1]) });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`inferd serve exited with ${code}:\n${log}`)));
  });
}

const MODEL_INFER_PATH = '/inference.GRPCInferenceService/ModelInfer';
const definition = loadSync([...PROTO_FILES], { ...PROTO_LOADER_OPTIONS, includeDirs: [PROTO_DIR] });
const method = (definition['inference.GRPCInferenceService'] as Record<string, {
  requestSerialize(value: unknown): Buffer; responseDeserialize(bytes: Buffer): unknown;
}>).ModelInfer!;

const data = Buffer.from(Float32Array.from({ length: ELEMENTS }, (_, i) => i * 0.25).buffer);
const grpcRequest = method.requestSerialize({
  model_name: MODEL, inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [ELEMENTS] }], outputs: [{ name: 'OUTPUT0' }],
  raw_input_contents: [data],
});
const httpHeader = Buffer.from(JSON.stringify({
  inputs: [{ name: 'INPUT0', shape: [ELEMENTS], datatype: 'FP32', parameters: { binary_data_size: data.length } }],
  outputs: [{ name: 'OUTPUT0', parameters: { binary_data: true } }],
}));
const httpBody = Buffer.concat([httpHeader, data]);
const httpHeaders = { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(httpHeader.length) };
const channelOptions = clientWindow > 0 ? { 'grpc-node.flow_control_window': clientWindow } : {};

/** Bytes of the serialized ModelInfer reply (checkEcho measures it; the h2 client checks every reply's size). */
let grpcReplyBytes = 0;

/** One gRPC and one HTTP request, each checked to echo the tensor, before anything is timed. */
async function checkEcho(server: Server): Promise<void> {
  const client = new Client(`127.0.0.1:${server.grpc}`, credentials.createInsecure(), {
    'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1, ...channelOptions,
  });
  const identity = (b: Buffer): Buffer => b;
  const reply = await new Promise<Buffer>((resolve, reject) => {
    client.makeUnaryRequest(MODEL_INFER_PATH, identity, identity, grpcRequest, (err, r) => (err ? reject(err) : resolve(r!)));
  });
  client.close();
  grpcReplyBytes = reply.length;
  const out = (method.responseDeserialize(reply) as { raw_output_contents: Buffer[] }).raw_output_contents[0];
  if (out === undefined || !out.equals(data)) throw new Error('gRPC reply does not echo the input');
  const res = await fetch(`http://127.0.0.1:${server.http}/v2/models/${MODEL}/infer`, { method: 'POST', headers: httpHeaders, body: httpBody });
  const body = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200 || !body.subarray(body.length - data.length).equals(data)) throw new Error(`HTTP reply ${res.status} does not echo the input`);
}

interface Result { requests: number; errors: number; rps: number; p50us: number; p99us: number; serverCpuUs?: number; clientCpuUs?: number; firstError?: string }

function runLoad(script: string, spec: Record<string, unknown>): Result {
  return JSON.parse(execFileSync(process.execPath, [script, JSON.stringify(spec)], { encoding: 'utf8' })) as Result;
}

const median = (xs: Result[]): Result => [...xs].sort((a, b) => a.rps - b.rps)[Math.floor(xs.length / 2)]!;
const perReq = (xs: Result[], key: 'serverCpuUs' | 'clientCpuUs'): number => {
  const per = xs.map((r) => (r[key] === undefined || r.requests === 0 ? NaN : r[key]! / r.requests)).sort((a, b) => a - b);
  return per[Math.floor(per.length / 2)]!;
};

const load = loadavg().map((x) => x.toFixed(1)).join(', ');
const repo = makeRepo();
const files = mkdtempSync(join(tmpdir(), 'inferd-grpc-large-bodies-'));
writeFileSync(join(files, 'grpc.bin'), grpcRequest);
writeFileSync(join(files, 'http.bin'), httpBody);
const runs: { grpc: Result[]; http: Result[] } = { grpc: [], http: [] };
const server = await startServer(repo);
try {
  await checkEcho(server);
  const common = { concurrency: CONCURRENCY, durationMs: DURATION_MS, warmupMs: 1000, serverPid: server.child.pid };
  for (let round = 0; round < ROUNDS; round++) {
    if (protocols.includes('grpc')) {
      runs.grpc.push(grpcClient === 'grpc-js'
        ? runLoad(here('../grpc-overhead/load-client.mjs'), {
          ...common, port: server.grpc, path: MODEL_INFER_PATH, requestFile: join(files, 'grpc.bin'), channelOptions,
        })
        : runLoad(here('../lib/grpc-h2-load-client.mjs'), {
          ...common, port: server.grpc, path: MODEL_INFER_PATH, requestFile: join(files, 'grpc.bin'),
          window: clientWindow > 0 ? clientWindow : 65_535, replyBytes: grpcReplyBytes,
        }));
    }
    if (protocols.includes('http')) runs.http.push(runLoad(here('../lib/load-client.mjs'), {
      ...common, url: `http://127.0.0.1:${server.http}/v2/models/${MODEL}/infer`, headers: httpHeaders, bodyFile: join(files, 'http.bin'),
    }));
  }
} finally {
  server.child.removeAllListeners('exit');
  server.child.kill();
  rmSync(repo, { recursive: true, force: true });
  rmSync(files, { recursive: true, force: true });
}

const mbps = (r: Result): string => ((r.rps * data.length * 2) / 1e6).toFixed(0);
const row = (name: string, all: Result[]): string => {
  const r = median(all);
  return `| ${name} | ${r.rps.toFixed(0)} | ${mbps(r)} | ${r.p50us.toFixed(0)} | ${r.p99us.toFixed(0)} | ${perReq(all, 'serverCpuUs').toFixed(0)} | ${perReq(all, 'clientCpuUs').toFixed(0)} |`;
};
const windowText = clientWindow > 0 ? `${clientWindow} B` : 'grpc-js default (64 KiB)';
const lines = [
  `grpc-large-tensors: ${data.length} B FP32 tensor (${ELEMENTS} elements) in and out through an ONNX Identity model (2 instances), ` +
    `concurrency ${CONCURRENCY}; gRPC ModelInfer over one connection (${grpcClient === 'grpc-js' ? 'grpc-js client' : 'bare node:http2 client'}, client flow-control window ${windowText}) vs HTTP binary tensors ` +
    `over ${CONCURRENCY} keep-alive connections, same \`inferd serve\`${process.env.BENCH_SERVER_ARGS ? ` ${process.env.BENCH_SERVER_ARGS}` : ''}; ` +
    `median of ${ROUNDS} alternating rounds of ${DURATION_MS} ms; load from separate processes. MB/s = tensor bytes both ways. ` +
    `server (client) CPU µs/req = the server's (load client's) process user+system CPU (all threads) / requests. Load averages at start ${load}.\n`,
  '| protocol | req/s | MB/s | p50 µs | p99 µs | server CPU µs/req | client CPU µs/req |',
  '|---|---|---|---|---|---|---|',
];
if (runs.grpc.length > 0) lines.push(row('gRPC, 1 connection', runs.grpc));
if (runs.http.length > 0) lines.push(row('HTTP binary', runs.http));
if (runs.grpc.length > 0 && runs.http.length > 0) lines.push('', `gRPC / HTTP req/s ratio: ${(median(runs.grpc).rps / median(runs.http).rps).toFixed(2)}`);
console.log(lines.join('\n'));
const errors = [...runs.grpc, ...runs.http].filter((r) => r.errors > 0);
if (errors.length > 0) {
  console.error('errors during the run:', errors.map((r) => r.firstError));
  process.exit(1);
}
