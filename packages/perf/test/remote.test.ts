import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { GrpcFrontend, HttpFrontend, createInferenceServer } from 'inferd';
import { perfOptions, runPerf, type PerfOptions } from '../src/index.js';
import { PERF_ANALYZER_HEADER, exampleRepo } from './support/repo.js';

test('http and grpc through @inferd/client: plain, system shared memory, gRPC streaming (a decoupled model too)', async () => {
  const repo = exampleRepo(['simple', 'repeat_int32']);
  const { server } = await createInferenceServer({ modelRepository: repo.dir, allowClientShm: true });
  const http = new HttpFrontend(server, { port: 0, address: '127.0.0.1', maxInputSize: 64 << 20 });
  const grpc = new GrpcFrontend(server, { port: 0, address: '127.0.0.1' });
  const h = await http.listen();
  const g = await grpc.listen();
  try {
    const cases: Partial<PerfOptions>[] = [
      { transport: 'http', url: `127.0.0.1:${h.port}` },
      { transport: 'grpc', url: `127.0.0.1:${g.port}` },
      { transport: 'http', url: `127.0.0.1:${h.port}`, sharedMemory: 'system' },
      { transport: 'grpc', url: `127.0.0.1:${g.port}`, sharedMemory: 'system' },
      { transport: 'grpc', url: `127.0.0.1:${g.port}`, streaming: true },
    ];
    for (const c of cases) {
      const label = `${c.transport}${c.sharedMemory === 'system' ? ' shm' : ''}${c.streaming === true ? ' streaming' : ''}`;
      const before = server.modelStatistics('simple').model_stats[0] as { inference_count: number };
      let text = '';
      const run = await runPerf(
        perfOptions({ modelName: 'simple', ...c, concurrencyRange: { start: 2, end: 2, step: 1 }, measurementIntervalMs: 300, maxTrials: 4 }),
        { out: { write: (t: string) => (text += t) } },
      );
      const [r] = run.results;
      assert.ok(r!.requestCount > 0, label);
      assert.match(text, new RegExp(`Service Kind: ${c.transport}`));
      assert.equal(run.csv.split('\n')[0], PERF_ANALYZER_HEADER, label);
      assert.ok(r!.server !== undefined && r!.server.success.count > 0, `${label}: server statistics read over the wire`);
      const after = server.modelStatistics('simple').model_stats[0] as { inference_count: number };
      assert.ok(after.inference_count - before.inference_count >= r!.requestCount, label);
    }
    // A decoupled model: each request ends at its flag-only final response on the stream.
    const decoupled = await runPerf(
      perfOptions({
        modelName: 'repeat_int32', transport: 'grpc', url: `127.0.0.1:${g.port}`, streaming: true, inputData: 'zero',
        shapes: new Map([['IN', [3]]]), measurementIntervalMs: 300, maxTrials: 3,
      }),
      { out: { write: () => true } },
    );
    assert.ok(decoupled.results[0]!.requestCount > 0);
    await assert.rejects(
      runPerf(perfOptions({ modelName: 'repeat_int32', transport: 'http', url: `127.0.0.1:${h.port}`, shapes: new Map([['IN', [3]]]) }), {
        out: { write: () => true },
      }),
      /is decoupled: use -i grpc --streaming or -i inprocess/,
    );
    // Every region was unregistered and unlinked.
    assert.deepEqual(server.sharedMemory.status(), []);
    assert.deepEqual(readdirSync('/dev/shm').filter((f) => f.startsWith(`inferd_perf_${process.pid}_`)), []);
  } finally {
    await Promise.all([http.close(), grpc.close()]);
    await server.shutdown(1000);
    repo.remove();
  }
});
