/**
 * Graceful drain of the real `inferd serve` process (issue 17, item 4), as a Kubernetes rolling update
 * needs it: on SIGTERM readiness turns false while requests are still served for --drain-delay-secs;
 * then new requests get Triton's UNAVAILABLE answer (HTTP 503, gRPC UNAVAILABLE) on the still-open
 * listeners, requests in flight (HTTP and gRPC) finish with their real outputs, and the process exits 0;
 * with a request that never finishes it exits 1 once --exit-timeout-secs has passed.
 *
 * The model is a plug-in backend whose execute waits until the test creates a "gate" file, so which
 * requests are in flight is decided by the test, not by timing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo } from '../support/temp-repo.js';
import { startServe } from '../support/spawn-cli.js';
import { pluginBackend } from '../support/plugin-backend.js';
import { connect } from '../support/grpc-client.js';

/** Echoes INPUT0 once the file named by the `gate` parameter exists (no parameter: at once). */
const GATED = pluginBackend('test_gated', `
          for (const r of requests) {
            const gate = r.parameters.gate;
            if (gate !== undefined) {
              console.log('gated request waiting ' + gate);
              while (!existsSync(String(gate))) await new Promise((res) => setTimeout(res, 20));
            }
            r.respond({ outputs: [{ ...r.inputs[0], name: 'OUTPUT0' }] });
          }`, "import { existsSync } from 'node:fs';");

// Four instances: the two held requests must not queue the ones sent during the drain behind them.
const CONFIG = 'backend: "test_gated"\nmax_batch_size: 0\ninstance_group [ { count: 4 kind: KIND_CPU } ]\n' +
  'input [ { name: "INPUT0" data_type: TYPE_INT32 dims: [ 2 ] } ]\noutput [ { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 2 ] } ]';

function world() {
  const repo = makeRepo({ 'gated/config.pbtxt': CONFIG, 'gated/1/': null });
  const backends = join(repo.dir, '..', `${repo.dir.split('/').pop()}-backends`);
  mkdirSync(join(backends, 'test_gated'), { recursive: true });
  writeFileSync(join(backends, 'test_gated', 'index.js'), GATED);
  return { repo, backends, gate: (name: string) => join(backends, name) };
}

function waitFor(read: () => string, pattern: RegExp, from = 0): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => (pattern.test(read().slice(from)) ? resolve() : void setTimeout(check, 20));
    check();
  });
}

async function httpInfer(url: string, data: number[], gate?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/v2/models/gated/infer`, {
    method: 'POST',
    body: JSON.stringify({
      inputs: [{ name: 'INPUT0', shape: [2], datatype: 'INT32', data }],
      ...(gate === undefined ? {} : { parameters: { gate } }),
    }),
  });
  return { status: res.status, body: await res.json() };
}

const status = async (url: string, path: string): Promise<number> => (await fetch(`${url}${path}`)).status;

test('SIGTERM: not ready but serving during --drain-delay-secs, then UNAVAILABLE for new requests; in-flight ones finish; exit 0', { timeout: 90_000 }, async () => {
  const w = world();
  const run = await startServe([
    '--model-repository', w.repo.dir, '--backend-directory', w.backends,
    '--drain-delay-secs', '3', '--exit-timeout-secs', '30',
  ]);
  const grpc = connect(run.grpcPort);
  try {
    assert.equal(await status(run.url, '/v2/health/ready'), 200);
    // One request in flight over each protocol, held by the gate.
    const gate = w.gate('open');
    const inflightHttp = httpInfer(run.url, [1, 2], gate);
    const inflightGrpc = grpc.call('ModelInfer', {
      model_name: 'gated', inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [2], contents: { int_contents: [3, 4] } }],
      parameters: { gate: { string_param: gate } },
    });
    await waitFor(run.stderr, /gated request waiting[\s\S]*gated request waiting/);

    const before = run.stderr().length;
    run.child.kill('SIGTERM');
    await waitFor(run.stderr, /draining: not ready, still serving for 3 s/, before);
    // Readiness is false first (HTTP and gRPC), liveness stays true, and requests are still served.
    assert.equal(await status(run.url, '/v2/health/ready'), 400);
    assert.equal(await status(run.url, '/v2/health/live'), 200);
    assert.equal((await grpc.call('ServerReady', {})).ready, false);
    const during = await httpInfer(run.url, [5, 6]);
    assert.equal(during.status, 200);
    assert.deepEqual(during.body.outputs[0].data, [5, 6]);

    // After the delay: new requests get Triton's answer on the still-open listeners.
    await waitFor(run.stderr, /stopping: waiting up to 30 s for in-flight requests/, before);
    const refused = await httpInfer(run.url, [7, 8]);
    assert.equal(refused.status, 503);
    assert.deepEqual(refused.body, { error: 'Server is stopping; no new requests are accepted' });
    await assert.rejects(
      grpc.call('ModelInfer', {
        model_name: 'gated', inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [2], contents: { int_contents: [9, 9] } }],
      }),
      (err: { code: number; details: string }) => err.code === 14 && /Server is stopping/.test(err.details),
    );
    assert.equal(existsSync(gate), false);
    writeFileSync(gate, '');

    // The two held requests finish with their real outputs; then the process exits cleanly.
    const h = await inflightHttp;
    assert.equal(h.status, 200);
    assert.deepEqual(h.body.outputs[0].data, [1, 2]);
    const g = await inflightGrpc;
    assert.deepEqual(Array.from(new Int32Array(new Uint8Array(g.raw_output_contents[0]).slice().buffer)), [3, 4]);
    assert.equal(await run.exited, 0);
    assert.match(run.stderr(), /stopped/);
  } finally {
    grpc.close();
    run.child.kill('SIGKILL');
    w.repo.cleanup();
  }
});

test('SIGTERM with a request that never finishes: exit 1 after --exit-timeout-secs, the client answered', { timeout: 90_000 }, async () => {
  const w = world();
  const run = await startServe([
    '--model-repository', w.repo.dir, '--backend-directory', w.backends, '--drain-delay-secs', '1', '--exit-timeout-secs', '1',
  ]);
  try {
    const stuck = httpInfer(run.url, [1, 1], w.gate('never')).then((r) => r.status, () => 'connection dropped');
    await waitFor(run.stderr, /gated request waiting/);
    run.child.kill('SIGTERM');
    assert.equal(await run.exited, 1);
    assert.match(run.stderr(), /failed to stop server: Exit timeout expired\. Exiting immediately\./);
    assert.notEqual(await stuck, 200);
  } finally {
    run.child.kill('SIGKILL');
    w.repo.cleanup();
  }
});
