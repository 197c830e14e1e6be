/**
 * `--allow-runtime-metrics` through the real `inferd serve` and a scrape of /metrics: prom-client's
 * Node.js families (event-loop delay, heap, RSS, GC) and the event-loop utilization gauge appear with
 * plausible values only when asked; without the flag no `nodejs_*` / `process_*` family is served.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServe } from '../support/spawn-cli.js';
import { identityConfig, makeRepo } from '../support/temp-repo.js';
import { parseProm, sample } from './support.js';

/** A request whose JSON body parses into ~200k heap numbers: enough garbage for the young generation to fill. */
function bigBody(): string {
  const n = 200_000;
  return JSON.stringify({ inputs: [{ name: 'INPUT0', shape: [1, n], datatype: 'FP32', data: Array.from({ length: n }, (_, i) => i + 0.5) }] });
}

test('--allow-runtime-metrics: event-loop delay and utilization, heap, RSS and GC families with real values', async () => {
  const repo = makeRepo({ 'm/config.pbtxt': identityConfig(), 'm/1/': null });
  // Without the CPU gauges: the event-loop utilization gauge is then there because of this flag alone.
  const run = await startServe(['--model-repository', repo.dir, '--allow-runtime-metrics', '--allow-cpu-metrics=false', '--metrics-interval-ms=100']);
  try {
    const scrape = async (): Promise<string> => (await fetch(run.metricsUrl!)).text();
    // Requests until the server has collected garbage at least once (each allocates tens of MB of short-lived objects).
    const body = bigBody();
    let gcs = 0;
    for (let i = 0; i < 40 && gcs === 0; i++) {
      const r = await fetch(`${run.url}/v2/models/m/infer`, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
      assert.equal(r.status, 200);
      await r.arrayBuffer();
      gcs = parseProm(await scrape()).samples.filter((s) => s.name === 'nodejs_gc_duration_seconds_count').reduce((a, s) => a + s.value, 0);
    }
    assert.ok(gcs > 0, 'a garbage collection was observed');
    // The event-loop delay gauges cover the time since the previous scrape (prom-client resets the
    // monitor at each one): let the 10 ms monitor take a few dozen samples first.
    await new Promise((r) => setTimeout(r, 300));
    const text = await scrape();
    const { types } = parseProm(text);
    assert.equal(types.get('nodejs_gc_duration_seconds'), 'histogram');
    assert.match(text, /^nodejs_gc_duration_seconds_bucket\{le="\+Inf",kind="(minor|major|incremental|weakcb)"\} \d+$/m);

    const heapUsed = sample(text, 'nodejs_heap_size_used_bytes');
    const heapTotal = sample(text, 'nodejs_heap_size_total_bytes');
    const rss = sample(text, 'process_resident_memory_bytes');
    assert.ok(heapUsed !== undefined && heapTotal !== undefined && rss !== undefined, text);
    assert.ok(heapUsed > 1e6 && heapUsed <= heapTotal, `heap used ${heapUsed} of ${heapTotal}`);
    assert.ok(rss > heapUsed, `RSS ${rss} holds the heap ${heapUsed}`);

    for (const name of ['nodejs_eventloop_lag_p50_seconds', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_eventloop_lag_max_seconds']) {
      const v = sample(text, name);
      assert.ok(v !== undefined && v > 0 && v < 60, `${name} = ${v}`);
      assert.equal(types.get(name), 'gauge');
    }
    assert.ok(sample(text, 'nodejs_eventloop_lag_p50_seconds')! <= sample(text, 'nodejs_eventloop_lag_max_seconds')!);
    const elu = sample(text, 'inferd_event_loop_utilization');
    assert.ok(elu !== undefined && elu >= 0 && elu <= 1, `event-loop utilization ${elu}`);
    assert.equal(sample(text, 'nodejs_version_info', `{version="${process.version}",major="${process.versions.node.split('.')[0]}",minor="${process.versions.node.split('.')[1]}",patch="${process.versions.node.split('.')[2]}"}`), 1);
    // The Triton families are still there, and the CPU ones are still off.
    assert.equal(sample(text, 'nv_inference_request_success', '{model="m",version="1"}'), sample(text, 'nv_inference_count', '{model="m",version="1"}'));
    assert.equal(sample(text, 'nv_cpu_utilization'), undefined);
  } finally {
    run.child.kill('SIGTERM');
    await run.exited;
    repo.cleanup();
  }
});

test('without --allow-runtime-metrics /metrics has no nodejs_* or process_* family', async () => {
  const repo = makeRepo({ 'm/config.pbtxt': identityConfig(), 'm/1/': null });
  const run = await startServe(['--model-repository', repo.dir]);
  try {
    const text = await (await fetch(run.metricsUrl!)).text();
    assert.match(text, /^nv_inference_count\{model="m",version="1"\} 0$/m);
    assert.doesNotMatch(text, /^(# TYPE )?(nodejs|process)_/m);
  } finally {
    run.child.kill('SIGTERM');
    await run.exited;
    repo.cleanup();
  }
});
