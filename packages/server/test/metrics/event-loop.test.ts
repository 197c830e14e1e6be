/**
 * inferd_event_loop_utilization: the main loop's busy share over the last metrics interval, read from a
 * real server's scrape while the loop is held busy and then left idle.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createInferenceServer, Logger } from '../../src/index.js';
import { identityConfig, makeRepo } from '../support/temp-repo.js';
import { sample } from './support.js';

function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* hold the event loop */ }
}

test('inferd_event_loop_utilization is near 1 while the loop is held busy and falls once it idles', async () => {
  const repo = makeRepo({ 'm/config.pbtxt': identityConfig(), 'm/1/': null });
  const { server, metrics } = await createInferenceServer({
    modelRepository: repo.dir, logger: new Logger({ info: false }), metrics: { intervalMs: 100 },
  });
  try {
    metrics!.start();
    await sleep(150);
    spin(400); // the interval timer cannot fire until this returns: its next sample covers mostly busy time
    await sleep(20);
    const busy = sample(await metrics!.text(), 'inferd_event_loop_utilization');
    assert.ok(busy !== undefined && busy > 0.5, `busy loop read as ${busy}`);
    await sleep(350);
    const idle = sample(await metrics!.text(), 'inferd_event_loop_utilization');
    assert.ok(idle !== undefined && idle < 0.5, `idle loop read as ${idle}`);
    assert.match(await metrics!.text(), /# TYPE inferd_event_loop_utilization gauge/);
  } finally {
    await server.shutdown(1000);
    repo.cleanup();
  }
});

test('--allow-cpu-metrics=false leaves the gauge out with the other CPU gauges', async () => {
  const repo = makeRepo({ 'm/config.pbtxt': identityConfig(), 'm/1/': null });
  const { server, metrics } = await createInferenceServer({
    modelRepository: repo.dir, logger: new Logger({ info: false }), metrics: { cpuMetrics: false },
  });
  try {
    assert.doesNotMatch(await metrics!.text(), /inferd_event_loop_utilization/);
  } finally {
    await server.shutdown(1000);
    repo.cleanup();
  }
});
