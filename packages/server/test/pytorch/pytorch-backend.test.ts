/**
 * The pytorch backend (platform pytorch_libtorch) on the CPU with Debian's python3-torch: TorchScript models made
 * by make_models.py (torch.jit.script / trace) are served through the in-process API, HTTP and gRPC, and the
 * answers are checked against values torch itself computed. Needs torch for the backend's interpreter
 * (INFERD_PYTHON, else /usr/bin/python3); `npm test` installs it (scripts/ensure-test-deps.mjs).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { f32, readF32, startPython, type PythonHarness } from '../python/support.js';
import { pythonInterpreter } from '../../src/backends/python/interpreter.js';
import type { RepoFiles } from '../support/temp-repo.js';

const MAKE_MODELS = fileURLToPath(new URL('./make_models.py', import.meta.url));
const io = (dir: 'input' | 'output', items: string[]): string => `${dir} [ ${items.join(', ')} ]`;
const t = (name: string, type: string, dims: string): string => `{ name: "${name}" data_type: ${type} dims: [ ${dims} ] }`;

let h: PythonHarness;
let made: string;
const file = (name: string): Buffer => readFileSync(join(made, name));

before(async () => {
  made = mkdtempSync(join(tmpdir(), 'inferd-torch-'));
  const python = pythonInterpreter({});
  const r = spawnSync(python, [MAKE_MODELS, made], { encoding: 'utf8' });
  // No silent skip: a machine without torch fails here with the reason (npm test installs python3-torch).
  assert.equal(r.status, 0, `${python} could not make the TorchScript test models (is torch installed? ` +
    `Debian: apt-get install python3-torch): ${r.stderr}`);
  const cfg = (body: string): string => `platform: "pytorch_libtorch"\n${body}`;
  const files: RepoFiles = {
    'add_sub/config.pbtxt': cfg(`max_batch_size: 0\n${io('input', [t('INPUT0', 'TYPE_FP32', '4'), t('INPUT1', 'TYPE_FP32', '4')])}\n` +
      io('output', [t('OUTPUT__0', 'TYPE_FP32', '4'), t('OUTPUT__1', 'TYPE_FP32', '4')])),
    'add_sub/1/model.pt': file('add_sub.pt'),
    // Config order is not forward() order: INPUT__1 is b.
    'minus/config.pbtxt': `backend: "pytorch"\nmax_batch_size: 0\n${io('input', [t('INPUT__1', 'TYPE_INT64', '3'), t('INPUT__0', 'TYPE_INT64', '3')])}\n` +
      io('output', [t('OUTPUT__0', 'TYPE_INT64', '3')]),
    'minus/1/model.pt': file('minus.pt'),
    'conv/config.pbtxt': cfg(`max_batch_size: 4\ndynamic_batching { max_queue_delay_microseconds: 2000000 preferred_batch_size: [ 3 ] }\n` +
      `parameters: { key: "INFERENCE_MODE" value: { string_value: "true" } }\n` +
      `parameters: { key: "ENABLE_NVFUSER" value: { string_value: "true" } }\n` +
      `${io('input', [t('x__0', 'TYPE_FP32', '3, 8, 8')])}\n${io('output', [t('y__0', 'TYPE_FP32', '5')])}`),
    'conv/1/model.pt': file('conv.pt'),
    'upper/config.pbtxt': cfg(`max_batch_size: 0\n${io('input', [t('WORDS', 'TYPE_STRING', '-1')])}\n${io('output', [t('OUT', 'TYPE_STRING', '-1')])}`),
    'upper/1/model.pt': file('upper.pt'),
    'dict_in/config.pbtxt': cfg(`max_batch_size: 0\n${io('input', [t('B', 'TYPE_FP32', '2'), t('A', 'TYPE_FP32', '2')])}\n${io('output', [t('Z', 'TYPE_FP32', '2')])}`),
    'dict_in/1/model.pt': file('dict_in.pt'),
    'no_file/config.pbtxt': cfg(`max_batch_size: 0\n${io('input', [t('X', 'TYPE_FP32', '1')])}\n${io('output', [t('Y', 'TYPE_FP32', '1')])}`),
    'no_file/1': null,
    'one_input/config.pbtxt': cfg(`max_batch_size: 0\n${io('input', [t('INPUT0', 'TYPE_FP32', '4')])}\n${io('output', [t('OUTPUT__0', 'TYPE_FP32', '4')])}`),
    'one_input/1/model.pt': file('add_sub.pt'),
    'bad_type/config.pbtxt': cfg(`max_batch_size: 0\n${io('input', [t('INPUT0', 'TYPE_UINT16', '4'), t('INPUT1', 'TYPE_FP32', '4')])}\n` +
      io('output', [t('OUTPUT__0', 'TYPE_FP32', '4')])),
    'bad_type/1/model.pt': file('add_sub.pt'),
    'bad_index/config.pbtxt': cfg(`max_batch_size: 0\n${io('input', [t('INPUT0', 'TYPE_FP32', '4'), t('INPUT1', 'TYPE_FP32', '4')])}\n` +
      io('output', [t('OUTPUT__5', 'TYPE_FP32', '4')])),
    'bad_index/1/model.pt': file('add_sub.pt'),
  };
  h = await startPython(files, { exitOnError: false });
});

after(async () => {
  await h?.close();
  if (made !== undefined) rmSync(made, { recursive: true, force: true });
});

const fp32 = (name: string, shape: number[], values: number[]) => ({ name, datatype: 'FP32' as const, shape, data: new Uint8Array(f32(values)) });
const reason = (name: string): string => h.server.repositoryIndex().find((e) => e.name === name)?.reason ?? '';

test('forward() argument names bind the inputs; outputs by __<index> (in-process)', async () => {
  const r = await h.server.infer({ modelName: 'add_sub', inputs: [fp32('INPUT0', [4], [1, 2, 3, 4]), fp32('INPUT1', [4], [10, 20, 30, 40])] });
  const byName = Object.fromEntries(r.outputs.map((o) => [o.name, readF32(o.data)]));
  assert.deepEqual(byName['OUTPUT__0'], [11, 22, 33, 44]);
  assert.deepEqual(byName['OUTPUT__1'], [-9, -18, -27, -36]);
});

test('the same model over HTTP JSON', async () => {
  const res = await fetch(`http://127.0.0.1:${h.httpPort}/v2/models/add_sub/infer`, {
    method: 'POST',
    body: JSON.stringify({
      inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [4], data: [1, 1, 1, 1] }, { name: 'INPUT1', datatype: 'FP32', shape: [4], data: [0.5, 1, 2, 4] }],
      outputs: [{ name: 'OUTPUT__1' }],
    }),
  });
  const body = await res.json() as { outputs: { name: string; data: number[] }[] };
  assert.equal(res.status, 200);
  assert.deepEqual(body.outputs.map((o) => [o.name, o.data]), [['OUTPUT__1', [0.5, 0, -1, -3]]]);
});

test('<name>__<index> inputs bind by index, not by config order (gRPC)', async () => {
  const i64 = (v: bigint[]): Buffer => Buffer.from(new BigInt64Array(v).buffer);
  const res = await h.grpc.call('ModelInfer', {
    model_name: 'minus',
    inputs: [{ name: 'INPUT__0', datatype: 'INT64', shape: [3] }, { name: 'INPUT__1', datatype: 'INT64', shape: [3] }],
    raw_input_contents: [i64([100n, 50n, 7n]), i64([1n, 2n, 3n])],
  }) as { raw_output_contents: Buffer[] };
  const out = res.raw_output_contents[0]!;
  assert.deepEqual([...new BigInt64Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength))], [99n, 48n, 4n]);
});

test('a traced conv net answers what torch computed; 2 requests form one execution (dynamic batching)', async () => {
  const x = readF32(file('conv_in.f32'));
  const expected = readF32(file('conv_out.f32'));
  const per = 3 * 8 * 8;
  const before = h.server.modelStatistics('conv').model_stats[0] as { inference_count: number; execution_count: number };
  // Batch 1 + batch 2 = the preferred batch of 3: the batcher sends both at once.
  const [a, b] = await Promise.all([
    h.server.infer({ modelName: 'conv', inputs: [fp32('x__0', [1, 3, 8, 8], x.slice(0, per))] }),
    h.server.infer({ modelName: 'conv', inputs: [fp32('x__0', [2, 3, 8, 8], x.slice(per))] }),
  ]);
  const got = [...readF32(a.outputs[0]!.data), ...readF32(b.outputs[0]!.data)];
  assert.deepEqual(a.outputs[0]!.shape, [1, 5]);
  assert.deepEqual(b.outputs[0]!.shape, [2, 5]);
  assert.equal(got.length, expected.length);
  got.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-5, `element ${i}: ${v} vs torch ${expected[i]}`));
  const statsNow = () => h.server.modelStatistics('conv').model_stats[0] as { inference_count: number; execution_count: number };
  // The execution is counted once the batch settles, which may be a turn after the responses.
  for (let i = 0; i < 1000 && statsNow().execution_count === before.execution_count; i++) await new Promise((r) => setImmediate(r));
  const stats = statsNow();
  assert.equal(stats.inference_count - before.inference_count, 3);
  assert.equal(stats.execution_count - before.execution_count, 1);
  // ENABLE_NVFUSER means nothing on the CPU: accepted with one line.
  assert.ok(h.logs.some((l) => /parameter ENABLE_NVFUSER has no effect on cpu; ignored/.test(l)));
});

test('TYPE_STRING in and out as List[str]', async () => {
  const enc = (words: string[]): Uint8Array => {
    const parts = words.flatMap((w) => { const b = Buffer.from(w); const n = Buffer.alloc(4); n.writeUInt32LE(b.length); return [n, b]; });
    return new Uint8Array(Buffer.concat(parts));
  };
  const r = await h.server.infer({ modelName: 'upper', inputs: [{ name: 'WORDS', datatype: 'BYTES', shape: [3], data: enc(['ab', 'héllo', '']) }] });
  assert.deepEqual(r.outputs[0]!.shape, [3]);
  const data = Buffer.from(r.outputs[0]!.data);
  const words: string[] = [];
  for (let o = 0; o < data.length;) { const n = data.readUInt32LE(o); words.push(data.toString('utf8', o + 4, o + 4 + n)); o += 4 + n; }
  // UTF-8 both ways; TorchScript's str.upper() changes ASCII letters only.
  assert.deepEqual(words, ['AB!', 'HéLLO!', '!']);
});

test('a Dict[str, Tensor] forward() gets the inputs by config name', async () => {
  assert.equal(reason('dict_in'), '');
  const r = await h.server.infer({ modelName: 'dict_in', inputs: [fp32('A', [2], [1, 2]), fp32('B', [2], [0.25, 0.5])] });
  assert.deepEqual(readF32(r.outputs[0]!.data), [2.25, 4.5]);
});

test("load errors carry Triton's texts; the other models serve", () => {
  assert.match(reason('no_file'), /unable to find '.*no_file\/1\/model\.pt' for model 'no_file'/);
  assert.match(reason('one_input'), /unable to load model 'one_input', configuration expects 1 inputs, model provides 2/);
  assert.match(reason('bad_type'), /unsupported datatype TYPE_UINT16 for input 'INPUT0' for model 'bad_type'/);
  assert.equal(h.server.repositoryIndex().find((e) => e.name === 'add_sub')?.state, 'READY');
});

test('an output index the model lacks and a wrong input datatype are request errors', async () => {
  await assert.rejects(
    h.server.infer({ modelName: 'bad_index', inputs: [fp32('INPUT0', [4], [1, 2, 3, 4]), fp32('INPUT1', [4], [1, 2, 3, 4])] }),
    /The output OUTPUT__5 in the model configuration refers to an output index which doesn't exist. This model has 2 outputs/,
  );
  await assert.rejects(
    h.server.infer({ modelName: 'add_sub', inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [4], data: new Uint8Array(16) }, fp32('INPUT1', [4], [1, 2, 3, 4])] }),
    /INPUT0.*(datatype|data-type|INT32)/,
  );
});
