/** The invoker handed to loaders refuses calls until bound, then reaches the real server. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { LateBoundInvoker, ServerError } from '../../src/core/index.js';
import { createInferenceServer } from '../../src/create-server.js';

const examples = fileURLToPath(new URL('../../../../examples/models', import.meta.url));

test('LateBoundInvoker: UNAVAILABLE before bind, the bound server after', async () => {
  const invoker = new LateBoundInvoker();
  const init = {
    modelName: 'identity_fp32',
    inputs: [{ name: 'INPUT0', datatype: 'FP32' as const, shape: [1, 2], data: new Uint8Array(new Float32Array([3, 4]).buffer) }],
  };
  await assert.rejects(invoker.infer(init), (e: unknown) => e instanceof ServerError && e.code === 'UNAVAILABLE');
  assert.throws(() => invoker.inferStream(init, () => {}), (e: unknown) => e instanceof ServerError && e.code === 'UNAVAILABLE');
  const { server } = await createInferenceServer({ modelRepository: examples, exitOnError: false });
  try {
    invoker.bind(server);
    const out = await invoker.infer(init);
    assert.deepEqual([...new Float32Array(out.outputs[0]!.data.slice().buffer)], [3, 4]);
  } finally {
    await server.shutdown();
  }
});
