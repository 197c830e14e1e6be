/**
 * The flags of issue 19: parsing and clear errors for bad values or the wrong control mode (CLI and
 * in-process API), and a real `inferd serve --model-load-on-demand --model-max-loaded` over HTTP with
 * its metrics endpoint.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { addServeFlags, toServeSettings } from '../../src/cli/options.js';
import { createInferenceServer, Logger } from '../../src/index.js';
import { runCli, startServe } from '../support/spawn-cli.js';
import { sample } from '../metrics/support.js';
import { writeFiles } from '../model-control/support.js';
import { scaleFiles } from './support.js';

function settings(args: string[]) {
  const cmd = addServeFlags(new Command().exitOverride());
  cmd.parse(['--model-repository', '/tmp', ...args], { from: 'user' });
  return toServeSettings(cmd.opts());
}

test('--model-load-on-demand, --model-max-loaded, --model-memory-budget parse; defaults are off', () => {
  const d = settings([]);
  assert.equal(d.server.modelLoadOnDemand, false);
  assert.equal(d.server.modelMaxLoaded, undefined);
  assert.equal(d.server.modelMemoryBudget, undefined);
  const s = settings(['--model-control-mode=explicit', '--model-load-on-demand=true', '--model-max-loaded', '50',
    '--model-memory-budget=4294967296']);
  assert.equal(s.server.modelLoadOnDemand, true);
  assert.equal(s.server.modelMaxLoaded, 50);
  assert.equal(s.server.modelMemoryBudget, 4294967296);
  assert.ok(!s.acceptedButIgnored.some((f) => f.startsWith('model-')));
});

test('bad values and the wrong control mode get clear errors', () => {
  const explicit = '--model-control-mode=explicit';
  assert.throws(() => settings([explicit, '--model-max-loaded=0']),
    /^Error: invalid argument for --model-max-loaded, got: 0 \(the most models loaded at once, at least 1\)$/);
  assert.throws(() => settings([explicit, '--model-max-loaded=-3']), /invalid argument for --model-max-loaded, got: -3/);
  assert.throws(() => settings([explicit, '--model-memory-budget=0']),
    /^Error: invalid argument for --model-memory-budget, got: 0 \(a size in bytes, at least 1\)$/);
  assert.throws(() => settings([explicit, '--model-memory-budget=2G']), /expected an integer, got '2G'/);
  assert.throws(() => settings([explicit, '--model-load-on-demand=maybe']), /expected true\/false\/on\/off\/1\/0, got 'maybe'/);
  assert.throws(() => settings(['--model-load-on-demand=true']),
    /^Error: --model-load-on-demand needs --model-control-mode=explicit \(in none mode every model of the repository is loaded\)$/);
  assert.throws(() => settings(['--model-control-mode=poll', '--model-max-loaded=2', '--model-memory-budget=100']),
    /^Error: --model-max-loaded, --model-memory-budget need --model-control-mode=explicit \(in poll mode/);
  assert.doesNotThrow(() => settings(['--model-load-on-demand=false']));
});

test('the in-process API refuses the same combinations with INVALID_ARG', async () => {
  const repo = mkdtempSync(join(tmpdir(), 'inferd-residency-flags-'));
  try {
    writeFiles(repo, scaleFiles('m', 1));
    const logger = new Logger({ info: false, warning: false, error: false });
    await assert.rejects(createInferenceServer({ modelRepository: repo, modelLoadOnDemand: true, metrics: false, logger }),
      (e: unknown) => (e as { code?: string }).code === 'INVALID_ARG'
        && (e as Error).message === 'loading models on demand and model budgets need --model-control-mode=explicit');
    await assert.rejects(createInferenceServer({ modelRepository: repo, modelControlMode: 'explicit', modelMaxLoaded: 1.5, metrics: false, logger }),
      (e: unknown) => (e as { code?: string }).code === 'INVALID_ARG' && /whole number of at least 1, got: 1.5/.test((e as Error).message));
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});

test('inferd serve with a bad budget exits with the message', async () => {
  const run = runCli(['serve', '--model-repository', '/tmp', '--model-control-mode=explicit', '--model-max-loaded=0']);
  assert.notEqual(await run.exited, 0);
  assert.match(run.stderr(), /invalid argument for --model-max-loaded, got: 0/);
});

test('inferd serve --model-load-on-demand=true --model-max-loaded=1: requests load, the older model goes', async () => {
  const repo = mkdtempSync(join(tmpdir(), 'inferd-residency-cli-'));
  writeFiles(repo, { ...scaleFiles('a', 2), ...scaleFiles('b', 3) });
  const run = await startServe(['--model-repository', repo, '--model-control-mode=explicit', '--model-load-on-demand=true', '--model-max-loaded=1']);
  try {
    const infer = async (model: string): Promise<number[]> => {
      const res = await fetch(`${run.url}/v2/models/${model}/infer`, {
        method: 'POST', body: JSON.stringify({ inputs: [{ name: 'X', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] }),
      });
      assert.equal(res.status, 200, await res.clone().text());
      return ((await res.json()) as { outputs: { data: number[] }[] }).outputs[0]!.data;
    };
    // A memory-bounded server keeps V8's old generation near its live size (cli/memory-bounded-heap.ts).
    assert.match(run.stderr(), /memory-bounded server: V8 heap flags --optimize-for-size/);
    assert.deepEqual(await infer('a'), [2, 4, 6, 8]);
    assert.deepEqual(await infer('b'), [3, 6, 9, 12]);
    const index = (await (await fetch(`${run.url}/v2/repository/index`, { method: 'POST', body: '{"ready":true}' })).json()) as { name: string }[];
    assert.deepEqual(index.map((e) => e.name), ['b']);
    const text = await (await fetch(run.metricsUrl!)).text();
    assert.equal(sample(text, 'inferd_model_evictions_total', '{reason="max_loaded"}'), 1);
    assert.equal(sample(text, 'inferd_models_loaded'), 1);
    assert.equal(sample(text, 'inferd_models_max_loaded'), 1);
  } finally {
    run.child.kill('SIGTERM');
    await run.exited;
    rmSync(repo, { recursive: true, force: true });
  }
});

test('INFERD_V8_MEMORY_FLAGS: off sets none, a word that is not a flag stops the server with the reason; unbounded servers set none', async () => {
  const repo = mkdtempSync(join(tmpdir(), 'inferd-residency-v8-'));
  writeFiles(repo, scaleFiles('a', 2));
  try {
    const bad = runCli(['serve', '--model-repository', repo, '--model-control-mode=explicit', '--model-max-loaded=1', '--http-port=0', '--allow-grpc=false', '--allow-metrics=false'],
      { env: { INFERD_V8_MEMORY_FLAGS: '--optimize-for-size heap' } });
    assert.notEqual(await bad.exited, 0);
    assert.match(bad.stderr(), /inferd: error: INFERD_V8_MEMORY_FLAGS: 'heap' is not a V8 flag \(flags start with --\)/);
    for (const [args, env] of [
      [['--model-max-loaded=1'], { INFERD_V8_MEMORY_FLAGS: 'off' }],
      [[], {}],
    ] as const) {
      const run = await startServe(['--model-repository', repo, '--model-control-mode=explicit', '--load-model=a', ...args], { env });
      try {
        const res = await fetch(`${run.url}/v2/models/a/ready`);
        assert.equal(res.status, 200);
        assert.doesNotMatch(run.stderr(), /V8 heap flags/);
      } finally {
        run.child.kill('SIGTERM');
        await run.exited;
      }
    }
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});
