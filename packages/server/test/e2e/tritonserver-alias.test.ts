/**
 * The `tritonserver` alias as a real process, started with the command lines that KServe's Triton
 * runtime and ModelMesh's Triton adapter pass (issue 17, items 1 and 3): Triton flag names with '=',
 * getopt-style prefixes, Triton-only flags warned about and ignored, unknown flags refused; ModelMesh's
 * explicit mode with --strict-readiness=false, models loaded and unloaded over real gRPC
 * (RepositoryModelLoad / RepositoryModelUnload) and the server ready with no model loaded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { connect } from '../support/grpc-client.js';
import { runCli } from '../support/spawn-cli.js';
import { identityConfig, makeRepo } from '../support/temp-repo.js';
import { rewriteTritonArgs } from '../../src/cli/triton-argv.js';

const aliasTs = fileURLToPath(new URL('../../src/cli/tritonserver.ts', import.meta.url));
const alias = [process.execPath, '--import', 'tsx', aliasTs];

function started(run: ReturnType<typeof runCli>): Promise<{ http: number; grpc: number }> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const h = /Started HTTPService at [\d.]+:(\d+)/.exec(run.stderr());
      const g = /Started GRPCInferenceService at [\d.]+:(\d+)/.exec(run.stderr());
      if (h && g) resolve({ http: Number(h[1]), grpc: Number(g[1]) });
    };
    run.child.stdout!.on('data', check);
    run.child.stderr!.on('data', check);
    run.exited.then((code) => reject(new Error(`tritonserver exited with ${code}:\n${run.stderr()}`)), () => {});
  });
}

test('rewriteTritonArgs: prefixes expanded, Triton-only flags dropped with their values, the rest kept', () => {
  const r = rewriteTritonArgs(['--model-repo=/m', '--vertex-ai-port', '8080', '--sagemaker-thread-count=4', '--grpc-port=9000', '--bogus=1']);
  assert.deepEqual(r.args, ['--model-repository=/m', '--grpc-port=9000', '--bogus=1']);
  assert.deepEqual(r.warnings, [
    'tritonserver: --vertex-ai-port has no counterpart in inferd; ignored',
    'tritonserver: --sagemaker-thread-count has no counterpart in inferd; ignored',
  ]);
});

test("tritonserver with KServe's runtime flags serves the repository; ModelMesh's explicit mode loads/unloads over gRPC", { timeout: 90_000 }, async () => {
  const repo = makeRepo({ 'a/config.pbtxt': identityConfig(), 'a/1/': null, 'b/config.pbtxt': identityConfig(), 'b/1/': null });
  // ModelMesh's adapter: explicit control, not-strict readiness; KServe's: --model-store, ports with '='.
  const run = runCli([
    `--model-store=${repo.dir}`, '--model-control-mode=explicit', '--strict-readiness=false', '--strict-model-config=false',
    '--http-port=0', '--grpc-port=0', '--metrics-port=0', '--http-address=127.0.0.1', '--grpc-address=127.0.0.1',
    '--allow-grpc=true', '--allow-http=true', '--allow-sagemaker=false', '--vertex-ai-port=8080', '--log-info=true',
  ], { command: alias });
  const grpcClient = { close() {} } as ReturnType<typeof connect>;
  let client = grpcClient;
  try {
    const ports = await started(run);
    assert.match(run.stderr(), /tritonserver: --vertex-ai-port has no counterpart in inferd; ignored/);
    client = connect(ports.grpc);
    // Ready with no model loaded (strict readiness off), as ModelMesh needs before it places models.
    assert.equal((await client.call('ServerReady', {})).ready, true);
    assert.equal((await client.call('ModelReady', { name: 'a' })).ready, false);

    await client.call('RepositoryModelLoad', { model_name: 'a' });
    assert.equal((await client.call('ModelReady', { name: 'a' })).ready, true);
    const out = await client.call('ModelInfer', {
      model_name: 'a', inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 3] }],
      raw_input_contents: [Buffer.from(new Float32Array([1.5, -2, 3]).buffer)],
    });
    assert.deepEqual(Array.from(new Float32Array(new Uint8Array(out.raw_output_contents[0]).slice().buffer)), [1.5, -2, 3]);
    const index = await client.call('RepositoryIndex', { ready: false });
    assert.deepEqual(index.models.map((m: { name: string; state: string }) => [m.name, m.state]).sort(), [['a', 'READY'], ['b', '']]);

    await client.call('RepositoryModelUnload', { model_name: 'a' });
    assert.equal((await client.call('ModelReady', { name: 'a' })).ready, false);
    await assert.rejects(
      client.call('ModelInfer', { model_name: 'a', inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 1] }], raw_input_contents: [Buffer.alloc(4)] }),
      (err: { code: number }) => err.code !== 0,
    );
    // HTTP answers too, on the port the alias took from --http-port.
    assert.equal((await fetch(`http://127.0.0.1:${ports.http}/v2/health/ready`)).status, 200);
  } finally {
    client.close();
    run.child.kill('SIGTERM');
    await run.exited;
    repo.cleanup();
  }
});

test('tritonserver refuses a flag Triton does not have, with a usage error', { timeout: 30_000 }, async () => {
  const run = runCli(['--model-store=/tmp', '--no-such-triton-flag=1'], { command: alias });
  assert.equal(await run.exited, 2);
  assert.match(run.stderr(), /unknown option '--no-such-triton-flag=1'/);
});
