import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInferenceServer } from 'inferd';
import { perfOptions, runSweep } from '../src/index.js';
import { examples, exampleRepo } from './support/repo.js';

test('--sweep on identity_fp32 picks a config within the budget, and the printed config.pbtxt loads', async () => {
  const repo = exampleRepo(['identity_fp32']);
  const loadDir = mkdtempSync(join(tmpdir(), 'inferd-perf-best-'));
  try {
    let text = '';
    const result = await runSweep(
      perfOptions({
        modelName: 'identity_fp32', transport: 'inprocess', modelRepository: [repo.dir], shapes: new Map([['INPUT0', [16]]]),
        concurrencyRange: { start: 1, end: 4, step: 3 }, measurementIntervalMs: 300, maxTrials: 3,
      }),
      { instanceCounts: [1, 2], batching: [{ kind: 'off' }, { kind: 'dynamic', delayUs: 100 }], latencyBudgetMs: 1000, outputFile: undefined },
      { out: { write: (t: string) => (text += t) } },
    );
    assert.equal(result.points.length, 2 * 2 * 2);
    const best = result.best!;
    assert.ok(best !== undefined, text);
    assert.equal(best.result.throughput, Math.max(...result.points.map((p) => p.result.throughput)));
    assert.match(text, /Best configuration within p99 <= 1000 ms: instances [12], batching (off|dynamic, delay 100 us), at concurrency [14]/);
    assert.ok(text.endsWith(best.configText));
    assert.match(best.configText, new RegExp(`instance_group \\[\\n  \\{\\n    kind: KIND_CPU\\n    count: ${best.instances}\\n`));

    // The printed config, as a user would drop it in: config.pbtxt next to the model's version dir.
    mkdirSync(join(loadDir, 'identity_fp32'));
    writeFileSync(join(loadDir, 'identity_fp32', 'config.pbtxt'), best.configText);
    symlinkSync(join(examples, 'identity_fp32', '1'), join(loadDir, 'identity_fp32', '1'));
    const { server } = await createInferenceServer({ modelRepository: loadDir });
    try {
      assert.equal(await server.modelReady('identity_fp32'), true);
      const config = server.modelConfig('identity_fp32') as { instance_group: { count: number }[]; dynamic_batching?: unknown };
      assert.equal(config.instance_group[0]!.count, best.instances);
      assert.equal(config.dynamic_batching !== undefined, best.batching.kind === 'dynamic');
    } finally {
      await server.shutdown();
    }
  } finally {
    repo.remove();
    rmSync(loadDir, { recursive: true, force: true });
  }
});

test('--sweep of a model without config.pbtxt starts from its completed config ("off" stays off)', async () => {
  const repo = exampleRepo(['autocomplete']);
  try {
    let text = '';
    const result = await runSweep(
      perfOptions({
        modelName: 'autocomplete', transport: 'inprocess', modelRepository: [repo.dir],
        concurrencyRange: { start: 1, end: 1, step: 1 }, measurementIntervalMs: 300, maxTrials: 3,
      }),
      { instanceCounts: [1], batching: [{ kind: 'off' }], latencyBudgetMs: 1000, outputFile: undefined },
      { out: { write: (t: string) => (text += t) } },
    );
    assert.ok(result.best !== undefined, text);
    assert.doesNotMatch(result.best.configText, /dynamic_batching/);
    assert.match(result.best.configText, /max_batch_size: 4\n/);
    assert.match(result.best.configText, /name: "x"/);
  } finally {
    repo.remove();
  }
});
