import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessTransport, perfOptions, runPerf } from '../src/index.js';
import { exampleRepo } from './support/repo.js';

test('request-rate mode (open loop) sends at the target rate, constant and Poisson', async () => {
  const repo = exampleRepo(['simple']);
  const transport = await InProcessTransport.open([repo.dir]);
  try {
    for (const distribution of ['constant', 'poisson'] as const) {
      const run = await runPerf(
        perfOptions({
          modelName: 'simple', transport: 'inprocess', requestRateRange: { start: 200, end: 200, step: 1 },
          requestDistribution: distribution, measurementIntervalMs: 500, maxTrials: 4, stabilityPercentage: 50,
        }),
        { out: { write: () => true }, transport },
      );
      const [r] = run.results;
      assert.equal(run.mode, 'request-rate');
      // Wide margin: timers are ~1 ms coarse and the machine is shared; the rate itself is what is checked.
      assert.ok(Math.abs(r!.requestRate - 200) / 200 <= 0.25, `${distribution}: ${r!.requestRate.toFixed(1)} requests/s`);
      assert.ok(run.csv.startsWith('Request Rate,Inferences/Second,Client Send,'));
      assert.match(run.csv.split('\n')[1]!, /^200,/);
    }
  } finally {
    await transport.close();
    repo.remove();
  }
});
