/**
 * --model-load-retry-count: a model whose backend fails its first loads is tried again, each attempt
 * from scratch, up to the count; past it the model stays UNAVAILABLE with the last reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInferenceServer } from '../../src/index.js';

// Fails createModel until it has been called `fail_times` times, counting attempts in a file of the
// model directory so the count survives whatever the server does between attempts.
const FLAKY_BACKEND = `
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
export const backend = {
  name: 'flaky',
  async createModel(ctx) {
    const file = join(ctx.modelDir, 'attempts');
    let n = 0;
    try { n = Number(readFileSync(file, 'utf8')); } catch {}
    writeFileSync(file, String(n + 1));
    if (n < Number(ctx.config.parameters.fail_times.string_value)) throw new Error('flaky: attempt ' + (n + 1) + ' failed');
    return {
      createInstance: async (ictx) => ({
        name: ictx.name,
        async execute(requests) { for (const r of requests) r.respond({ outputs: [{ ...r.inputs[0], name: 'OUT' }] }); },
        async dispose() {},
      }),
      dispose: async () => {},
    };
  },
};
`;

function repoWithFlakyModel(failTimes: number): { repo: string; backends: string; attempts: () => number; cleanup(): void } {
  const root = mkdtempSync(join(tmpdir(), 'inferd-retry-'));
  const backends = join(root, 'backends');
  mkdirSync(join(backends, 'flaky'), { recursive: true });
  writeFileSync(join(backends, 'flaky', 'index.js'), FLAKY_BACKEND);
  const model = join(root, 'repo', 'm');
  mkdirSync(join(model, '1'), { recursive: true });
  writeFileSync(join(model, 'config.pbtxt'), [
    'backend: "flaky"', 'max_batch_size: 0',
    'input [ { name: "IN" data_type: TYPE_INT32 dims: [ 1 ] } ]',
    'output [ { name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] } ]',
    `parameters { key: "fail_times" value: { string_value: "${failTimes}" } }`,
  ].join('\n'));
  return {
    repo: join(root, 'repo'),
    backends,
    attempts: () => Number(readFileSync(join(model, 'attempts'), 'utf8')),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

test('a model failing its first two loads is READY with --model-load-retry-count 2 (three attempts)', async () => {
  const r = repoWithFlakyModel(2);
  const { server } = await createInferenceServer({ modelRepository: r.repo, backendDirectory: r.backends, modelLoadRetryCount: 2 });
  try {
    assert.equal(r.attempts(), 3);
    assert.deepEqual(server.repositoryIndex(), [{ name: 'm', version: '1', state: 'READY' }]);
    const out = await server.infer({
      modelName: 'm', inputs: [{ name: 'IN', datatype: 'INT32', shape: [1], data: new Uint8Array(new Int32Array([7]).buffer) }],
    });
    assert.deepEqual([...new Int32Array(out.outputs[0]!.data.slice().buffer)], [7]);
  } finally {
    await server.shutdown();
    r.cleanup();
  }
});

test('past the retry count the model stays UNAVAILABLE with the last failure as reason', async () => {
  const r = repoWithFlakyModel(2);
  const { server, failedModels } = await createInferenceServer({
    modelRepository: r.repo, backendDirectory: r.backends, modelLoadRetryCount: 1, exitOnError: false,
  });
  try {
    assert.equal(r.attempts(), 2);
    assert.deepEqual(failedModels, ['m']);
    const [row] = server.repositoryIndex();
    assert.equal(row?.state, 'UNAVAILABLE');
    assert.match(row?.reason ?? '', /flaky: attempt 2 failed/);
  } finally {
    await server.shutdown();
    r.cleanup();
  }
});

test('without --model-load-retry-count a failed load is not retried', async () => {
  const r = repoWithFlakyModel(1);
  const { failedModels, server } = await createInferenceServer({ modelRepository: r.repo, backendDirectory: r.backends, exitOnError: false });
  try {
    assert.equal(r.attempts(), 1);
    assert.deepEqual(failedModels, ['m']);
  } finally {
    await server.shutdown();
    r.cleanup();
  }
});
