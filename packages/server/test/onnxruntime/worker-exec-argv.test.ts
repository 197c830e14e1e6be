/**
 * An app that embeds inferd from `node --input-type=module -e ...` loads and runs ONNX models: pool threads
 * do not inherit the host's `--input-type` flag (they failed at start with "--input-type can only be used
 * with string input").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { workerExecArgv } from '../../src/backends/onnxruntime/pool-thread.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

test('workerExecArgv drops --input-type in both spellings and keeps every other flag', () => {
  assert.deepEqual(workerExecArgv(['--import', 'tsx', '--input-type=module', '--max-old-space-size=512']),
    ['--import', 'tsx', '--max-old-space-size=512']);
  assert.deepEqual(workerExecArgv(['--input-type', 'module', '--enable-source-maps']), ['--enable-source-maps']);
  assert.deepEqual(workerExecArgv([]), []);
});

test('an embedding started with --input-type=module -e serves an ONNX model', () => {
  const server = new URL('../../src/index.ts', import.meta.url).href;
  const examples = fileURLToPath(new URL('../../../../examples/models', import.meta.url));
  const script = `
    const { createInferenceServer, Logger } = await import(${JSON.stringify(server)});
    const { server } = await createInferenceServer({
      modelRepository: ${JSON.stringify(examples)}, modelControlMode: 'explicit', loadModels: ['identity_fp32'],
      logger: new Logger({ info: false }),
    });
    const data = new Uint8Array(new Float32Array([1.5, -2, 3]).buffer);
    const r = await server.infer({ modelName: 'identity_fp32', inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 3], data }] });
    if (r.error) throw r.error;
    const out = r.outputs.find((o) => o.name === 'OUTPUT0');
    console.log(JSON.stringify([...new Float32Array(out.data.slice().buffer)]));
    await server.shutdown();
  `;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout.trim().split('\n').at(-1)!), [1.5, -2, 3]);
});
