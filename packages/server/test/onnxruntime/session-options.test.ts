import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sessionOptionsFor } from '../../src/backends/onnxruntime/session-options.js';
import { ServerError } from '../../src/core/index.js';

const p = (entries: Record<string, string>) =>
  ({ parameters: Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, { string_value: v }])) });

test('defaults: all graph optimizations, sequential, one intra-op thread per instance', () => {
  assert.deepEqual(sessionOptionsFor({}, {}), { graphOptimizationLevel: 'all', executionMode: 'sequential', intraOpNumThreads: 1 });
});

test('Triton parameter names and optimization.graph.level map onto ORT options', () => {
  assert.deepEqual(
    sessionOptionsFor({
      ...p({ intra_op_thread_count: '3', inter_op_thread_count: '2', execution_mode: '1', enable_mem_arena: 'off', enable_mem_pattern: 'TRUE' }),
      optimization: { graph: { level: 1 } },
    }, {}),
    {
      graphOptimizationLevel: 'extended', executionMode: 'parallel', intraOpNumThreads: 3, interOpNumThreads: 2,
      enableCpuMemArena: false, enableMemPattern: true,
    },
  );
  assert.equal(sessionOptionsFor({ optimization: { graph: { level: -1 } } }, {}).graphOptimizationLevel, 'basic');
  assert.equal(sessionOptionsFor({ optimization: { graph: { level: 2 } } }, {}).graphOptimizationLevel, 'disabled');
});

test('--backend-config thread counts are defaults that model parameters override', () => {
  const backendConfig = { intra_op_thread_count: '2', inter_op_thread_count: '4' };
  assert.equal(sessionOptionsFor({}, backendConfig).intraOpNumThreads, 2);
  assert.equal(sessionOptionsFor({}, backendConfig).interOpNumThreads, 4);
  assert.equal(sessionOptionsFor(p({ intra_op_thread_count: '1' }), backendConfig).intraOpNumThreads, 1);
});

test('bad values are INVALID_ARG with Triton\'s parse messages', () => {
  const rejects = (config: object, message: string): void =>
    assert.throws(() => sessionOptionsFor(config, {}), (e: unknown) =>
      e instanceof ServerError && e.code === 'INVALID_ARG' && e.message === message);
  rejects(p({ intra_op_thread_count: 'many' }), "failed to convert 'many' to integral number");
  rejects(p({ enable_mem_arena: 'yes' }), "failed to convert 'yes' to boolean");
  rejects(p({ execution_mode: '3' }), 'Invalid configuration value provided. Expected values for  execution_mode are 0 or 1 but got 3 .');
});
