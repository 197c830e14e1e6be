/**
 * model_warmup (spec §6.2): samples run through the version's scheduler before the version is READY
 * (the index shows LOADING meanwhile); zero, random and file data; batch_size requests per iteration,
 * `count` iterations; a failing sample fails the load with Triton's message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInferenceServer } from '../../src/create-server.js';

import { parseBackendConfig } from '../../src/config/index.js';
import { BackendRegistry } from '../../src/backends/registry.js';
import { RepositoryManager } from '../../src/repository/manager.js';
import { Logger } from '../../src/observability/log.js';
import { makeRepo, type RepoFiles } from '../support/temp-repo.js';
import { noInvoker } from '../support/no-invoker.js';

/**
 * Records every request it executes (inputs as name/shape/bytes) in globalThis.__warmupSeen, waits for
 * globalThis.__warmupGate when set, fails when the config says parameters { fail: "1" }; echoes INPUT0.
 */
const RECORDING_BACKEND = `
export const backend = {
  name: 'test_warmup_rec',
  async createModel(ctx) {
    const fail = ctx.config.parameters?.fail?.string_value === '1';
    return {
      createInstance: async (inst) => ({
        name: inst.name,
        async execute(requests) {
          if (globalThis.__warmupGate) await globalThis.__warmupGate;
          for (const r of requests) {
            (globalThis.__warmupSeen ??= []).push({
              model: r.modelName, id: r.id,
              inputs: r.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: [...t.shape], bytes: [...t.data] })),
            });
            if (fail) { r.respondError(new Error('backend refused the warmup input')); continue; }
            r.respond({ outputs: [{ ...r.inputs[0], name: 'OUTPUT0' }] });
          }
        },
        async dispose() {},
      }),
      async dispose() {},
    };
  },
};
`;

interface Seen { model: string; inputs: { name: string; datatype: string; shape: number[]; bytes: number[] }[] }
const g = globalThis as { __warmupSeen?: Seen[]; __warmupGate?: Promise<void> };

function config(warmup: string, extra = ''): string {
  return [
    'backend: "test_warmup_rec"',
    'max_batch_size: 4',
    'input [ { name: "INPUT0" data_type: TYPE_INT32 dims: [ 2 ] }, { name: "INPUT1" data_type: TYPE_UINT8 dims: [ 3 ] } ]',
    'output [ { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 2 ] } ]',
    extra,
    warmup,
  ].join('\n');
}

const SAMPLES = `model_warmup [
  { name: "zeros" batch_size: 2 count: 3
    inputs { key: "INPUT0" value: { data_type: TYPE_INT32 dims: [ 2 ] zero_data: true } }
    inputs { key: "INPUT1" value: { data_type: TYPE_UINT8 dims: [ 3 ] random_data: true } } },
  { name: "from_file"
    inputs { key: "INPUT0" value: { data_type: TYPE_INT32 dims: [ 2 ] input_data_file: "in0.bin" } }
    inputs { key: "INPUT1" value: { data_type: TYPE_UINT8 dims: [ 3 ] zero_data: true } } }
]`;

function withBackend(files: RepoFiles): { repo: string; backends: string; cleanup(): void } {
  const repo = makeRepo(files);
  const backends = `${repo.dir}-backends`;
  mkdirSync(join(backends, 'test_warmup_rec'), { recursive: true });
  writeFileSync(join(backends, 'test_warmup_rec', 'index.mjs'), RECORDING_BACKEND);
  return { repo: repo.dir, backends, cleanup: () => { repo.cleanup(); rmSync(backends, { recursive: true, force: true }); } };
}

const int32Le = (values: number[]) => [...new Uint8Array(new Int32Array(values).buffer)];

test('warmup samples run before READY: zero, random and file data, batch_size requests, count iterations', async () => {
  const r = withBackend({
    'warm/config.pbtxt': config(SAMPLES),
    'warm/warmup/in0.bin': new Uint8Array(new Int32Array([7, -8, 99]).buffer),
    'warm/1/': null,
  });
  g.__warmupSeen = [];
  let open!: () => void;
  g.__warmupGate = new Promise((resolve) => { open = resolve; });
  const lines: string[] = [];
  const log = new Logger({ verboseLevel: 1 });
  log.write = (line) => lines.push(line);
  const manager = new RepositoryManager({
    repositories: [r.repo],
    registry: new BackendRegistry({ backendDirectory: r.backends }),
    backendConfig: parseBackendConfig([]),
    autoComplete: true,
    loadThreadCount: 1,
    log,
    invoker: noInvoker,
  });
  try {
    const loading = manager.loadAll();
    // The first warmup execution is held at the gate: the version must not be READY yet.
    for (let i = 0; i < 200 && lines.every((l) => !l.includes('running warmup sample')); i++) await new Promise((res) => setTimeout(res, 10));
    assert.deepEqual(manager.index(false).map((e) => [e.name, e.state]), [['warm', 'LOADING']]);
    assert.throws(() => manager.acquire('warm', undefined));
    open();
    g.__warmupGate = undefined;
    assert.deepEqual(await loading, []);
    assert.deepEqual(manager.index(false).map((e) => [e.name, e.version, e.state]), [['warm', '1', 'READY']]);

    const seen = g.__warmupSeen!;
    assert.equal(seen.length, 2 * 3 + 1, 'zeros: 2 requests x 3 iterations; from_file: 1 request');
    for (const s of seen.slice(0, 6)) {
      assert.deepEqual(s.inputs.map((t) => [t.name, t.datatype, t.shape]), [['INPUT0', 'INT32', [1, 2]], ['INPUT1', 'UINT8', [1, 3]]]);
      assert.deepEqual(s.inputs[0]!.bytes, int32Le([0, 0]));
      assert.equal(s.inputs[1]!.bytes.length, 3);
    }
    assert.deepEqual(seen[6]!.inputs.map((t) => t.bytes), [int32Le([7, -8]), [0, 0, 0]], 'file data: the first 8 bytes of in0.bin');
    assert.ok(lines.some((l) => l.includes("model 'warm' is running warmup sample 'zeros' for iteration 3")), 'verbose log per iteration');
  } finally {
    g.__warmupGate = undefined;
    await manager.shutdown();
    r.cleanup();
  }
});

test('a failing warmup sample fails the load with Triton\'s message; a short data file too', async () => {
  const r = withBackend({
    'refuses/config.pbtxt': config(SAMPLES.replace('from_file', 'second'), 'parameters { key: "fail" value: { string_value: "1" } }'),
    'refuses/warmup/in0.bin': new Uint8Array(8),
    'refuses/1/': null,
    'short/config.pbtxt': config(SAMPLES),
    'short/warmup/in0.bin': new Uint8Array(5),
    'short/1/': null,
    'fine/config.pbtxt': config(''),
    'fine/1/': null,
  });
  g.__warmupSeen = [];
  try {
    await assert.rejects(
      createInferenceServer({ modelRepository: r.repo, backendDirectory: r.backends }),
      /failed to load all models: refuses, short/,
    );
    const { server } = await createInferenceServer({ modelRepository: r.repo, backendDirectory: r.backends, exitOnError: false });
    try {
      const index = Object.fromEntries(server.repositoryIndex().map((e) => [e.name, e]));
      assert.equal(index.fine!.state, 'READY');
      assert.equal(index.refuses!.state, 'UNAVAILABLE');
      assert.equal(index.refuses!.reason, "failed to run warmup sample 'zeros': backend refused the warmup input");
      assert.equal(index.short!.state, 'UNAVAILABLE');
      assert.equal(index.short!.reason,
        "failed to run warmup sample 'from_file': warmup setting expects 8 bytes, but the data provided from in0.bin only has 5 bytes");
      assert.equal(server.ready(), false);
    } finally {
      await server.shutdown(1000);
    }
  } finally {
    r.cleanup();
  }
});

test('a sequence-batched model warms up with one-request sequences (START and END, a CORRID of the control\'s kind)', async () => {
  const sequence = `sequence_batching { control_input [
    { name: "START" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [ 0, 1 ] } ] },
    { name: "END" control [ { kind: CONTROL_SEQUENCE_END int32_false_true: [ 0, 1 ] } ] },
    { name: "CORRID" control [ { kind: CONTROL_SEQUENCE_CORRID data_type: TYPE_STRING } ] } ] }`;
  const r = withBackend({
    'seq/config.pbtxt': config(`model_warmup [ { name: "s" count: 2
      inputs { key: "INPUT0" value: { data_type: TYPE_INT32 dims: [ 2 ] zero_data: true } }
      inputs { key: "INPUT1" value: { data_type: TYPE_UINT8 dims: [ 3 ] zero_data: true } } } ]`, sequence),
    'seq/1/': null,
  });
  g.__warmupSeen = [];
  try {
    const { server } = await createInferenceServer({ modelRepository: r.repo, backendDirectory: r.backends });
    try {
      assert.deepEqual(server.repositoryIndex().map((e) => [e.name, e.state]), [['seq', 'READY']]);
      const seen = g.__warmupSeen!;
      assert.equal(seen.length, 2);
      const ids = new Set<string>();
      for (const s of seen) {
        const byName = Object.fromEntries(s.inputs.map((t) => [t.name, t.bytes]));
        assert.deepEqual([byName.START, byName.END], [int32Le([1]), int32Le([1])]);
        const corrid = Buffer.from(byName.CORRID!.slice(4)).toString('utf8');
        assert.match(corrid, /^inferd-warmup-\d+$/);
        ids.add(corrid);
      }
      assert.equal(ids.size, 2, 'one sequence per warmup request');
    } finally {
      await server.shutdown(1000);
    }
  } finally {
    r.cleanup();
  }
});
