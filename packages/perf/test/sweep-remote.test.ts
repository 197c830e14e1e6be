/**
 * `--sweep -i http` against a live inferd in explicit model control mode: every candidate is a reload
 * with a config override; afterwards the model has its original config again (or, with --sweep-apply,
 * the winner's); a server not in explicit mode is refused with a message naming the flag.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpClient } from '@inferd/client';
import { GrpcFrontend, HttpFrontend, createInferenceServer, parseModelConfigText } from 'inferd';
import { perfOptions, runSweep, type PerfOptions } from '../src/index.js';
import { examples } from './support/repo.js';

const MODEL = 'identity_fp32';

function measured(url: string, extra: Partial<PerfOptions> = {}): PerfOptions {
  return perfOptions({
    modelName: MODEL, transport: 'http', url, shapes: new Map([['INPUT0', [16]]]),
    concurrencyRange: { start: 1, end: 2, step: 1 }, measurementIntervalMs: 300, maxTrials: 3, ...extra,
  });
}

test('--sweep -i http reloads each candidate on an explicit-mode server, prints a loadable winner, restores the original config; -i grpc --sweep-apply keeps the winner', async () => {
  // A copy, not a symlink: explicit mode reads the model's directory on every load.
  const root = mkdtempSync(join(tmpdir(), 'inferd-perf-sweep-remote-'));
  cpSync(join(examples, MODEL), join(root, MODEL), { recursive: true });
  const { server } = await createInferenceServer({ modelRepository: root, modelControlMode: 'explicit', loadModels: [MODEL] });
  const http = new HttpFrontend(server, { port: 0, address: '127.0.0.1', maxInputSize: 1 << 20 });
  const grpc = new GrpcFrontend(server, { port: 0, address: '127.0.0.1' });
  const url = `127.0.0.1:${(await http.listen()).port}`;
  const grpcUrl = `127.0.0.1:${(await grpc.listen()).port}`;
  const client = new HttpClient(url);
  try {
    const original = await client.getModelConfig(MODEL);
    let text = '';
    const result = await runSweep(
      measured(url),
      { instanceCounts: [1, 2], batching: [{ kind: 'off' }, { kind: 'dynamic', delayUs: 100 }], latencyBudgetMs: 1000, outputFile: undefined },
      { out: { write: (t: string) => (text += t) } },
    );
    assert.equal(result.points.length, 2 * 2 * 2);
    // Every candidate was measured at every level of the range.
    const seen = new Set(result.points.map((p) => `${p.instances}/${p.batching.kind}`));
    assert.deepEqual([...seen].sort(), ['1/dynamic', '1/off', '2/dynamic', '2/off']);
    const best = result.best!;
    assert.ok(best !== undefined, text);
    assert.equal(best.result.throughput, Math.max(...result.points.map((p) => p.result.throughput)));
    assert.match(text, /Reloaded 'identity_fp32' on the server with its configuration from before the sweep\./);
    assert.match(text, /Best configuration within p99 <= 1000 ms: instances [12], batching (off|dynamic, delay 100 us), at concurrency [12]/);
    assert.ok(text.endsWith(best.configText));

    // Documented: after the sweep the server has the config it had before, exactly.
    assert.deepEqual(await client.getModelConfig(MODEL), original);
    assert.equal(await client.isModelReady(MODEL), true);

    // The printed config.pbtxt parses and loads as measured.
    const parsed = parseModelConfigText(best.configText, 'best.pbtxt');
    await client.loadModel(MODEL, { config: JSON.stringify(parsed) });
    const loaded = (await client.getModelConfig(MODEL)) as { instance_group: { count: number }[]; dynamic_batching?: unknown };
    assert.equal(loaded.instance_group[0]!.count, best.instances);
    assert.equal(loaded.dynamic_batching !== undefined, best.batching.kind === 'dynamic');

    // --sweep-apply leaves the winner loaded: here the only candidate, 3 instances, batching off; over
    // gRPC, whose protobuf-decoded config has to become the override's JSON shape first.
    await client.loadModel(MODEL, { config: original });
    let applied = '';
    const one = await runSweep(
      measured(grpcUrl, { transport: 'grpc', concurrencyRange: { start: 1, end: 1, step: 1 } }),
      { instanceCounts: [3], batching: [{ kind: 'off' }], latencyBudgetMs: 1000, outputFile: undefined, apply: true },
      { out: { write: (t: string) => (applied += t) } },
    );
    assert.ok(one.best !== undefined, applied);
    assert.match(applied, /Left the best configuration loaded on the server \(--sweep-apply\)\./);
    const after = (await client.getModelConfig(MODEL)) as { instance_group: { count: number }[]; dynamic_batching?: unknown };
    assert.equal(after.instance_group[0]!.count, 3);
    assert.equal(after.dynamic_batching, undefined);
  } finally {
    client.close();
    await Promise.all([http.close(), grpc.close()]);
    await server.shutdown(1000);
    rmSync(root, { recursive: true, force: true });
  }
});

test('--sweep -i http|grpc against a server not in explicit mode is refused, naming --model-control-mode=explicit', async () => {
  const root = mkdtempSync(join(tmpdir(), 'inferd-perf-sweep-remote-'));
  cpSync(join(examples, MODEL), join(root, MODEL), { recursive: true });
  const { server } = await createInferenceServer({ modelRepository: root });
  const http = new HttpFrontend(server, { port: 0, address: '127.0.0.1', maxInputSize: 1 << 20 });
  const grpc = new GrpcFrontend(server, { port: 0, address: '127.0.0.1' });
  const url = `127.0.0.1:${(await http.listen()).port}`;
  const grpcUrl = `127.0.0.1:${(await grpc.listen()).port}`;
  const client = new HttpClient(url);
  try {
    const original = await client.getModelConfig(MODEL);
    for (const o of [measured(url), measured(grpcUrl, { transport: 'grpc' })]) {
      await assert.rejects(
        runSweep(o, { instanceCounts: [2], batching: [{ kind: 'off' }], latencyBudgetMs: 1000, outputFile: undefined }, {
          out: { write: () => true },
        }),
        /--sweep -i (http|grpc) loads each candidate config on the server, which refused .*--model-control-mode=explicit/,
      );
    }
    assert.deepEqual(await client.getModelConfig(MODEL), original);
    // --sweep-apply means nothing in-process.
    await assert.rejects(
      runSweep(perfOptions({ modelName: MODEL, transport: 'inprocess', modelRepository: [root] }), {
        instanceCounts: [1], batching: [{ kind: 'off' }], latencyBudgetMs: 1000, outputFile: undefined, apply: true,
      }, { out: { write: () => true } }),
      /--sweep-apply needs -i http or -i grpc/,
    );
  } finally {
    client.close();
    await Promise.all([http.close(), grpc.close()]);
    await server.shutdown(1000);
    rmSync(root, { recursive: true, force: true });
  }
});
