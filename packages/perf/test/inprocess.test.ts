import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { perfOptions, runPerf } from '../src/index.js';
import { PERF_ANALYZER_HEADER, exampleRepo, repoRoot } from './support/repo.js';

const cliTs = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

test('in-process against simple: figures per level, server breakdown, Little\'s law within 20%', async () => {
  const repo = exampleRepo(['simple']);
  try {
    let text = '';
    const run = await runPerf(
      perfOptions({
        modelName: 'simple', transport: 'inprocess', modelRepository: [repo.dir],
        concurrencyRange: { start: 1, end: 4, step: 3 }, measurementIntervalMs: 400, maxTrials: 6,
      }),
      { out: { write: (t: string) => (text += t) } },
    );
    assert.deepEqual(run.results.map((r) => r.value), [1, 4]);
    for (const r of run.results) {
      assert.ok(r.requestCount > 0 && r.throughput > 0);
      // Little's law: requests in the system = arrival rate × time in the system.
      const inSystem = r.requestRate * (r.latency.avgUs / 1e6);
      assert.ok(Math.abs(inSystem - r.value) / r.value <= 0.2, `concurrency ${r.value}: throughput × latency = ${inSystem.toFixed(2)}`);
      const p = r.latency.percentilesUs;
      assert.ok(p.get(50)! <= p.get(90)! && p.get(90)! <= p.get(95)! && p.get(95)! <= p.get(99)!);
      assert.ok(r.server !== undefined && r.server.success.count > 0 && r.server.inferenceCount > 0);
    }
    assert.match(text, /\*\*\* Measurement Settings \*\*\*/);
    assert.match(text, /Request concurrency: 4\n  Client: \n    Request count: \d+\n    Throughput: [\d.]+ infer\/sec/);
    assert.match(text, /Avg request latency: \d+ usec \(overhead \d+ usec \+ queue \d+ usec \+ compute input \d+ usec/);
    assert.match(text, /Inferences\/Second vs\. Client Average Batch Latency\nConcurrency: 1, throughput: [\d.]+ infer\/sec, latency \d+ usec/);
    const lines = run.csv.trim().split('\n');
    assert.equal(lines[0], PERF_ANALYZER_HEADER);
    assert.equal(lines.length, 3);
    for (const row of lines.slice(1)) assert.equal(row.split(',').length, PERF_ANALYZER_HEADER.split(',').length);
  } finally {
    repo.remove();
  }
});

test('the inferd-perf command writes perf_analyzer\'s CSV with -f and --verbose-csv', async () => {
  const repo = exampleRepo(['simple']);
  const csv = join(repo.dir, 'out.csv');
  try {
    const res = spawnSync(process.execPath, [
      '--import', 'tsx', cliTs, '-m', 'simple', '-i', 'inprocess', '--model-repository', repo.dir,
      '--concurrency-range', '2', '-p', '300', '-r', '6', '-b', '2', '--input-data', 'zero', '-f', csv, '--verbose-csv',
    ], { cwd: repoRoot, encoding: 'utf8' });
    assert.ok(res.status === 0 || res.status === 1, res.stderr); // 1 = not stable on a busy machine
    assert.match(res.stdout, /Batch size: 2/, res.stderr);
    assert.match(res.stdout, /Request concurrency: 2/, res.stderr);
    const [header, row, extra] = readFileSync(csv, 'utf8').split('\n');
    assert.equal(header, `${PERF_ANALYZER_HEADER},Avg latency,request/response,response wait`);
    assert.match(row!, /^2,[\d.]+,0,(\d+,){12}\d+$/);
    assert.equal(extra, '');
  } finally {
    repo.remove();
  }
});

test('usage errors exit 2 with the reason', () => {
  const res = spawnSync(process.execPath, [
    '--import', 'tsx', cliTs, '-m', 'simple', '-i', 'inprocess', '--concurrency-range', '1', '--request-rate-range', '10',
  ], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(res.status, 2);
  assert.match(res.stderr, /cannot be used together/);
});
