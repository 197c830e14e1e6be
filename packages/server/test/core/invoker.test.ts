/**
 * The server is the invoker its models use, and it exists before they load: a backend that calls another
 * model while loading is refused with UNAVAILABLE (the server is starting: live, not ready), and the same
 * invoker reaches the model once the server serves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { cpSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerError, type ModelInvoker } from '../../src/core/index.js';
import { createInferenceServer } from '../../src/create-server.js';
import type { Backend } from '../../src/index.js';

const examples = fileURLToPath(new URL('../../../../examples/models', import.meta.url));

test('a model calling the server while it starts is refused UNAVAILABLE; the same invoker works once it serves', async () => {
  const repo = mkdtempSync(join(tmpdir(), 'inferd-invoker-'));
  cpSync(join(examples, 'identity_fp32'), join(repo, 'identity_fp32'), { recursive: true });
  mkdirSync(join(repo, 'caller', '1'), { recursive: true });
  writeFileSync(join(repo, 'caller', 'config.pbtxt'), [
    'backend: "calls_at_load"', 'max_batch_size: 0',
    'input [ { name: "IN" data_type: TYPE_FP32 dims: [ 1 ] } ]', 'output [ { name: "OUT" data_type: TYPE_FP32 dims: [ 1 ] } ]',
  ].join('\n'));
  const init = {
    modelName: 'identity_fp32',
    inputs: [{ name: 'INPUT0', datatype: 'FP32' as const, shape: [1, 2], data: new Uint8Array(new Float32Array([3, 4]).buffer) }],
  };
  let invoker: ModelInvoker | undefined;
  let refusal: unknown;
  let liveWhileLoading: boolean | undefined;
  const backend: Backend = {
    name: 'calls_at_load',
    async createModel(ctx) {
      invoker = ctx.invoker;
      refusal = await ctx.invoker.infer(init).catch((err: unknown) => err);
      return {
        createInstance: async (i) => ({ name: i.name, execute: async () => {}, dispose: async () => {} }),
        dispose: async () => {},
      };
    },
  };
  const { server } = await createInferenceServer({ modelRepository: repo, backends: { calls_at_load: backend } });
  try {
    assert.ok(refusal instanceof ServerError && refusal.code === 'UNAVAILABLE', String(refusal));
    assert.equal((refusal as ServerError).reason, 'SERVER_STARTING');
    assert.equal(invoker, server, 'the loaders get the server itself');
    liveWhileLoading = server.live();
    assert.ok(liveWhileLoading && server.ready());
    const out = await invoker!.infer(init);
    assert.deepEqual([...new Float32Array(out.outputs[0]!.data.slice().buffer)], [3, 4]);
  } finally {
    await server.shutdown();
    rmSync(repo, { recursive: true, force: true });
  }
});
