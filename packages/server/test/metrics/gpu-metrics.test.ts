/**
 * GPU metrics (spec §9) from `inferd serve` over the real metrics port, fed by a fake nvidia-smi (a real
 * script printing nvidia-smi's CSV, handed in through INFERD_NVIDIA_SMI): Triton's family names, help
 * texts, types and units, one series per GPU labelled gpu_uuid, figures that follow the samples, energy
 * that accumulates; `--allow-gpu-metrics=false` and a server without GPUs have none of them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServe, type CliRun } from '../support/spawn-cli.js';
import { fakeNvidiaSmi, type FakeGpu, type FakeNvidiaSmi } from '../support/fake-nvidia-smi.js';
import { identityConfig, makeRepo } from '../support/temp-repo.js';
import { parseProm, sample } from './support.js';

const A = 'GPU-11111111-2222-3333-4444-555555555555';
const B = 'GPU-66666666-7777-8888-9999-000000000000';
const gpus = (usedMiB: number, pct: number, watts: number): FakeGpu[] => [
  { index: 0, uuid: A, memoryTotalMiB: 81559, memoryUsedMiB: usedMiB, utilizationPct: pct, powerW: watts, powerLimitW: 700 },
  { index: 1, uuid: B, memoryTotalMiB: 81559, memoryUsedMiB: 0, utilizationPct: 0, powerW: '[N/A]', powerLimitW: 350 },
];

let smi: FakeNvidiaSmi;
let repo: ReturnType<typeof makeRepo>;
const runs: CliRun[] = [];

before(() => {
  smi = fakeNvidiaSmi(gpus(1024, 37, 100));
  repo = makeRepo({ 'm/config.pbtxt': identityConfig(), 'm/1/': null });
});
after(async () => {
  for (const r of runs) {
    r.child.kill('SIGTERM');
    await r.exited;
  }
  smi.cleanup();
  repo.cleanup();
});

async function serve(args: string[], env: Record<string, string>) {
  const run = await startServe(['--model-repository', repo.dir, '--metrics-interval-ms', '50', ...args], { env });
  runs.push(run);
  return async (): Promise<string> => (await fetch(run.metricsUrl!)).text();
}

test('nv_gpu_* per GPU, as Triton names, types and units them, following nvidia-smi', async () => {
  const scrape = await serve([], { INFERD_NVIDIA_SMI: smi.path });
  const first = await scrape();
  const prom = parseProm(first);
  const families: [string, string, string][] = [
    ['nv_gpu_utilization', 'gauge', 'GPU utilization rate [0.0 - 1.0)'],
    ['nv_gpu_memory_total_bytes', 'gauge', 'GPU total memory, in bytes'],
    ['nv_gpu_memory_used_bytes', 'gauge', 'GPU used memory, in bytes'],
    ['nv_gpu_power_usage', 'gauge', 'GPU power usage in watts'],
    ['nv_gpu_power_limit', 'gauge', 'GPU power management limit in watts'],
    ['nv_energy_consumption', 'counter', 'GPU energy consumption in joules since the Triton Server started'],
  ];
  for (const [name, type, help] of families) {
    assert.equal(prom.types.get(name), type, name);
    assert.equal(prom.help.get(name), help, name);
  }
  const a = `{gpu_uuid="${A}"}`;
  const b = `{gpu_uuid="${B}"}`;
  assert.equal(sample(first, 'nv_gpu_utilization', a), 0.37);
  assert.equal(sample(first, 'nv_gpu_memory_total_bytes', a), 81559 * 1048576);
  assert.equal(sample(first, 'nv_gpu_memory_used_bytes', a), 1024 * 1048576);
  assert.equal(sample(first, 'nv_gpu_power_usage', a), 100);
  assert.equal(sample(first, 'nv_gpu_power_limit', a), 700);
  assert.equal(sample(first, 'nv_gpu_power_limit', b), 350);
  // A GPU that reports no power draw has no power series (and no energy), not a made-up 0.
  assert.equal(sample(first, 'nv_gpu_power_usage', b), undefined);
  assert.equal(sample(first, 'nv_energy_consumption', b), 0);

  // The sampler re-reads nvidia-smi each interval: new figures show up, energy accumulates.
  const energy0 = sample(first, 'nv_energy_consumption', a)!;
  smi.write(gpus(2048, 90, 300));
  let text = first;
  const end = Date.now() + 20_000;
  while (sample(text, 'nv_gpu_memory_used_bytes', a) !== 2048 * 1048576 && Date.now() < end) text = await scrape();
  assert.equal(sample(text, 'nv_gpu_utilization', a), 0.9);
  assert.equal(sample(text, 'nv_gpu_power_usage', a), 300);
  const energy1 = sample(text, 'nv_energy_consumption', a)!;
  assert.ok(energy1 > energy0, `${energy1} > ${energy0}`);
});

test('--allow-gpu-metrics=false, and a server without nvidia-smi: no GPU families', async () => {
  for (const scrape of [
    await serve(['--allow-gpu-metrics=false'], { INFERD_NVIDIA_SMI: smi.path }),
    await serve([], { INFERD_NVIDIA_SMI: `${smi.path}-missing` }),
  ]) {
    const text = await scrape();
    assert.match(text, /nv_cpu_utilization/);
    assert.doesNotMatch(text, /nv_gpu_|nv_energy_consumption/);
  }
});
