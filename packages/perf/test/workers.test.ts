/**
 * `--workers`: the load from several worker threads, measured as one. Real servers (HTTP and gRPC
 * frontends over the `simple` example), real threads each with its own connection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { GrpcFrontend, HttpFrontend, createInferenceServer } from 'inferd';
import { perfOptions, runPerf } from '../src/index.js';
import { splitConcurrency, toLocalCompletions } from '../src/load-workers.js';
import { exampleRepo } from './support/repo.js';

test('concurrency split over the threads; other threads\' times brought onto this clock', () => {
  assert.deepEqual(splitConcurrency(7, 3), [3, 2, 2]);
  assert.deepEqual(splitConcurrency(64, 4), [16, 16, 16, 16]);
  // Never an idle thread: fewer outstanding requests than threads uses fewer threads.
  assert.deepEqual(splitConcurrency(2, 4), [1, 1]);
  assert.deepEqual(toLocalCompletions(new Float64Array([1000.5, 1002, 1010, 1013.25]), 1000), [
    { startMs: 0.5, endMs: 2 }, { startMs: 10, endMs: 13.25 },
  ]);
});

test('--workers 3 over HTTP and gRPC (plain and shared memory): every thread\'s requests counted, one latency summary', async () => {
  const repo = exampleRepo(['simple']);
  const { server } = await createInferenceServer({ modelRepository: repo.dir, allowClientShm: true });
  const http = new HttpFrontend(server, { port: 0, address: '127.0.0.1', maxInputSize: 64 << 20 });
  const grpc = new GrpcFrontend(server, { port: 0, address: '127.0.0.1' });
  const h = await http.listen();
  const g = await grpc.listen();
  const count = (): number => (server.modelStatistics('simple').model_stats[0] as { inference_count: number }).inference_count;
  try {
    for (const c of [
      { transport: 'http' as const, url: `127.0.0.1:${h.port}` },
      { transport: 'grpc' as const, url: `127.0.0.1:${g.port}` },
      { transport: 'http' as const, url: `127.0.0.1:${h.port}`, sharedMemory: 'system' as const },
    ]) {
      const label = `${c.transport}${c.sharedMemory === undefined ? '' : ' shm'}`;
      const before = count();
      let text = '';
      const run = await runPerf(
        perfOptions({ modelName: 'simple', ...c, workers: 3, concurrencyRange: { start: 5, end: 5, step: 1 }, measurementIntervalMs: 300, maxTrials: 4 }),
        { out: { write: (t: string) => (text += t) } },
      );
      const served = count() - before;
      const [r] = run.results;
      assert.match(text, /Using 3 load generator threads/, label);
      assert.ok(r!.requestCount > 0, label);
      // The client counts only requests wholly inside its windows; the server saw those and more.
      assert.ok(served >= r!.requestCount, `${label}: served ${served} >= measured ${r!.requestCount}`);
      // The windows' server statistics are read by the main thread around the same windows.
      assert.ok(r!.server !== undefined && r!.server.success.count >= r!.requestCount * 0.5, label);
      assert.equal(r!.latency.count, r!.requestCount);
      const p = r!.latency.percentilesUs;
      assert.ok(p.get(50)! > 0 && p.get(50)! <= p.get(90)! && p.get(90)! <= p.get(99)!, label);
      assert.ok(Math.abs(r!.throughput - r!.requestCount / (r!.durationMs / 1000)) < 1e-6, label);
    }
    // Each thread registered its own regions (names carry the thread id) and removed them.
    assert.deepEqual(server.sharedMemory.status(), []);
    assert.deepEqual(readdirSync('/dev/shm').filter((f) => f.startsWith(`inferd_perf_${process.pid}_`)), []);
    await assert.rejects(
      runPerf(perfOptions({ modelName: 'simple', transport: 'inprocess', modelRepository: [repo.dir], workers: 2 }), { out: { write: () => true } }),
      /--workers needs -i http or -i grpc/,
    );
  } finally {
    await Promise.all([http.close(), grpc.close()]);
    await server.shutdown(1000);
    repo.remove();
  }
});
