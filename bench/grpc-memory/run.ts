// bench/grpc-memory: the server's resident memory for one large ModelInfer over real gRPC. For each model
// and message size a fresh `inferd serve` (the built CLI, child process) serves a temp repository; after a
// small warm-up request its VmRSS is the baseline, its peak (VmHWM) is reset through /proc/<pid>/clear_refs,
// one request of SIZE bytes of raw_input_contents is sent from this process, the echoed output is checked
// byte for byte, and the peak is read. growth = peak - baseline; the ratio is growth / message size.
//
//   npx tsx bench/grpc-memory/run.ts            (BENCH_SIZES_MB=100,300 BENCH_MODELS=onnx_uint8,onnx_fp32,onnx_uint8_noarena,js_uint8)
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, credentials } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { PROTO_DIR, PROTO_FILES, PROTO_LOADER_OPTIONS } from '@inferd/protocol';
import { identityModel } from '../../scripts/onnx-builder.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const MB = 1024 * 1024;
const list = (name: string, all: string[]): string[] => (process.env[name] ? process.env[name]!.split(',') : all);
const SIZES_MB = list('BENCH_SIZES_MB', ['100', '300']).map(Number);
const MODELS = list('BENCH_MODELS', ['onnx_uint8', 'onnx_fp32', 'onnx_uint8_noarena', 'js_uint8']);

/** The three models: ONNX Identity (worker thread + ORT) in two element types, and the built-in JS identity. */
function makeRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-grpc-memory-'));
  const io = (t: string) =>
    `input [{ name: "INPUT0" data_type: ${t} dims: [-1] }]\noutput [{ name: "OUTPUT0" data_type: ${t} dims: [-1] }]\n`;
  const noArena = 'parameters { key: "enable_mem_arena" value: { string_value: "false" } }\n';
  const models = [
    ['onnx_uint8', 'UINT8', true, ''], ['onnx_fp32', 'FLOAT', true, ''], ['onnx_uint8_noarena', 'UINT8', true, noArena],
    ['js_uint8', 'UINT8', false, ''],
  ] as const;
  for (const [name, type, onnx, extra] of models) {
    mkdirSync(join(dir, name, '1'), { recursive: true });
    const t = type === 'FLOAT' ? 'TYPE_FP32' : 'TYPE_UINT8';
    const head = onnx ? 'platform: "onnxruntime_onnx"\n' : 'backend: "identity"\n';
    writeFileSync(join(dir, name, 'config.pbtxt'), `${head}max_batch_size: 0\n${io(t)}${extra}instance_group [{ count: 1 kind: KIND_CPU }]\n`);
    if (onnx) writeFileSync(join(dir, name, '1', 'model.onnx'), identityModel(type, [-1]));
  }
  return dir;
}

interface Server { child: ChildProcess; port: number }

function startServer(repo: string): Promise<Server> {
  const main = join(root, 'packages/server/dist/cli/main.js');
  const child = spawn(process.execPath, [
    main, 'serve', '--model-repository', repo, '--allow-http', 'false', '--allow-metrics', 'false',
    '--grpc-port', '0', '--grpc-address', '127.0.0.1',
  ], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let log = '';
    const onData = (d: Buffer): void => {
      log += d;
      const m = /Started GRPCInferenceService at [^:\s]+:(\d+)/.exec(log);
      if (m) {
        child.stdout!.off('data', onData);
        child.stderr!.off('data', onData);
        child.stdout!.resume();
        child.stderr!.resume();
        resolve({ child, port: Number(m[1]) });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`inferd serve exited with ${code}:\n${log}`)));
  });
}

function status(pid: number): { rss: number; hwm: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(text)![1]) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

const MODEL_INFER_PATH = '/inference.GRPCInferenceService/ModelInfer';
const CHANNEL_OPTIONS = { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 };
const definition = loadSync([...PROTO_FILES], { ...PROTO_LOADER_OPTIONS, includeDirs: [PROTO_DIR] });
const service = definition['inference.GRPCInferenceService'] as Record<string, {
  requestSerialize(value: unknown): Buffer; responseDeserialize(bytes: Buffer): unknown;
}>;
const method = service.ModelInfer!;
const identity = (b: Buffer) => b;

function infer(client: Client, model: string, datatype: string, data: Buffer): Promise<Buffer> {
  const elements = datatype === 'FP32' ? data.length / 4 : data.length;
  const request = method.requestSerialize({
    model_name: model, inputs: [{ name: 'INPUT0', datatype, shape: [elements] }], outputs: [{ name: 'OUTPUT0' }],
    raw_input_contents: [data],
  });
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(MODEL_INFER_PATH, identity, identity, request, (err, reply) => {
      if (err) reject(new Error(`ModelInfer answered ${err.code}: ${err.details}`));
      else resolve(reply!);
    });
  });
}

function checkEcho(reply: Buffer, data: Buffer): void {
  const decoded = method.responseDeserialize(reply) as { raw_output_contents: Buffer[] };
  const out = decoded.raw_output_contents[0];
  if (decoded.raw_output_contents.length !== 1 || out === undefined || !out.equals(data)) {
    throw new Error('the reply does not echo the input bytes');
  }
}

interface Row { model: string; sizeMb: number; baseline: number; peak: number; after: number; peak2: number; ms: number }

async function measure(repo: string, model: string, sizeMb: number): Promise<Row> {
  const datatype = model.endsWith('fp32') ? 'FP32' : 'UINT8';
  const server = await startServer(repo);
  const pid = server.child.pid!;
  const client = new Client(`127.0.0.1:${server.port}`, credentials.createInsecure(), CHANNEL_OPTIONS);
  try {
    const data = Buffer.alloc(sizeMb * MB);
    for (let i = 0; i < data.length; i += 4096) data[i] = (i >> 12) & 0xff;
    for (let i = 0; i < 3; i++) checkEcho(await infer(client, model, datatype, data.subarray(0, 4096)), data.subarray(0, 4096));
    await sleep(1000);
    const baseline = status(pid).rss;
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    const t0 = performance.now();
    const reply = await infer(client, model, datatype, data);
    const ms = performance.now() - t0;
    const peak = status(pid).hwm;
    checkEcho(reply, data);
    await sleep(3000);
    const after = status(pid).rss;
    // The same request again: what garbage or caches left by the first one add to the next.
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    checkEcho(await infer(client, model, datatype, data), data);
    return { model, sizeMb, baseline, peak, after, peak2: status(pid).hwm, ms };
  } finally {
    client.close();
    server.child.removeAllListeners('exit');
    server.child.kill();
  }
}

// Always measure the current sources: an incremental build is quick when dist is up to date.
execFileSync('npx', ['tsc', '-b', 'packages/protocol', 'packages/client', 'packages/server'], { cwd: root, stdio: 'inherit' });
const load = loadavg().map((x) => x.toFixed(1)).join(', ');
const repo = makeRepo();
const rows: Row[] = [];
try {
  for (const sizeMb of SIZES_MB) for (const model of MODELS) rows.push(await measure(repo, model, sizeMb));
} finally {
  rmSync(repo, { recursive: true, force: true });
}

const mb = (n: number) => (n / MB).toFixed(0);
console.log([
  `grpc-memory: one ModelInfer of SIZE MiB raw_input_contents (identity, the reply echoes it) over real gRPC to a fresh ` +
    '`inferd serve` (built CLI) per row, after 3 small warm-up requests; client in a separate process.\n' +
    'onnx_* = ONNX Identity on ONNX Runtime (worker thread; _noarena: parameter enable_mem_arena false), js_uint8 = built-in JS identity backend (frontend + core only).\n' +
    'baseline = server VmRSS before the request; peak = VmHWM over the request (reset through /proc/<pid>/clear_refs); ' +
    `ratio = (peak - baseline) / SIZE; after = VmRSS 3 s after the reply; 2nd ratio = the same for a second identical request ` +
    `then (its peak - the first baseline) / SIZE. Load averages at start ${load}.\n`,
  '| model | SIZE MiB | baseline MiB | peak MiB | growth MiB | ratio | after MiB | 2nd ratio | request ms |',
  '|---|---|---|---|---|---|---|---|---|',
  ...rows.map((r) =>
    `| ${r.model} | ${r.sizeMb} | ${mb(r.baseline)} | ${mb(r.peak)} | ${mb(r.peak - r.baseline)} | ` +
    `${((r.peak - r.baseline) / (r.sizeMb * MB)).toFixed(2)} | ${mb(r.after)} | ` +
    `${((r.peak2 - r.baseline) / (r.sizeMb * MB)).toFixed(2)} | ${r.ms.toFixed(0)} |`),
].join('\n'));
