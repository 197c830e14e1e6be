/**
 * SIGTERM to the real `inferd serve` while a Python model's execute never returns: as Triton, the
 * server gives up once --exit-timeout-secs has passed, exits with code 1 and leaves no stub behind.
 * Without requests in flight it stops cleanly (code 0, finalize ran).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeRepo } from '../support/temp-repo.js';
import { startServe } from '../support/spawn-cli.js';
import { processExists } from './support.js';

const CONFIG = 'backend: "python"\nmax_batch_size: 0\n' +
  'input [ { name: "IN" data_type: TYPE_INT32 dims: [ 1 ] } ]\noutput [ { name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] } ]';

/** IN 0 answers at once; any other value sleeps for ever (the GIL released, so health checks pass). */
const MODEL = `
import os
import time

import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def initialize(self, args):
        print(f"stub pid {os.getpid()}", flush=True)

    def execute(self, requests):
        value = int(pb_utils.get_input_tensor_by_name(requests[0], "IN").as_numpy()[0])
        if value != 0:
            print("execute is hanging", flush=True)
            while True:
                time.sleep(1000)
        return [pb_utils.InferenceResponse([pb_utils.Tensor("OUT", pb_utils.get_input_tensor_by_name(r, "IN").as_numpy())])
                for r in requests]

    def finalize(self):
        print("finalize ran", flush=True)
`;

function waitFor(read: () => string, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve) => {
    const check = (): void => {
      const m = pattern.exec(read());
      if (m !== null) resolve(m);
      else setTimeout(check, 20);
    };
    check();
  });
}

function infer(url: string, value: number): Promise<Response> {
  return fetch(`${url}/v2/models/hang/infer`, {
    method: 'POST',
    body: JSON.stringify({ inputs: [{ name: 'IN', shape: [1], datatype: 'INT32', data: [value] }] }),
  });
}

test('SIGTERM with an execute that never returns: exit code 1 after --exit-timeout-secs, stub killed', { timeout: 60_000 }, async () => {
  const repo = makeRepo({ 'hang/config.pbtxt': CONFIG, 'hang/1/model.py': MODEL });
  try {
    const run = await startServe(['--model-repository', repo.dir, '--exit-timeout-secs', '1']);
    const pid = Number((await waitFor(run.stderr, /hang_0: stub pid (\d+)/))[1]);
    assert.ok(processExists(pid));
    const pending = infer(run.url, 1).then((r) => r.status, () => 'connection dropped');
    await waitFor(run.stderr, /hang_0: execute is hanging/);
    run.child.kill('SIGTERM');
    assert.equal(await run.exited, 1);
    assert.match(run.stderr(), /failed to stop server: Exit timeout expired\. Exiting immediately\. \(killed 1 Python stub process\)/);
    assert.equal(processExists(pid), false, 'the stub is gone');
    // The client is not left waiting either.
    assert.notEqual(await pending, 200);
  } finally {
    repo.cleanup();
  }
});

test('SIGTERM with nothing in flight: exit code 0, the model finalized', { timeout: 60_000 }, async () => {
  const repo = makeRepo({ 'hang/config.pbtxt': CONFIG, 'hang/1/model.py': MODEL });
  try {
    const run = await startServe(['--model-repository', repo.dir, '--exit-timeout-secs', '5']);
    const pid = Number((await waitFor(run.stderr, /hang_0: stub pid (\d+)/))[1]);
    assert.equal((await infer(run.url, 0)).status, 200);
    run.child.kill('SIGTERM');
    assert.equal(await run.exited, 0);
    assert.match(run.stderr(), /hang_0: finalize ran/);
    assert.doesNotMatch(run.stderr(), /Exit timeout expired/);
    assert.equal(processExists(pid), false);
  } finally {
    repo.cleanup();
  }
});
