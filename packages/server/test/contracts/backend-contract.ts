/**
 * The contract every Backend keeps, as one suite: call `backendContract(name, fixture)` with a model
 * `m` of that backend and each check runs against a real server. A new backend (or plug-in) gets the
 * whole suite from a few lines in backends.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerError } from '../../src/core/index.js';
import { checkNoLeaks, checkOwnValues, outputValues as valuesOf, startHarness, type ContractFixture, type Harness } from './contract-harness.js';

export function backendContract(name: string, fixture: ContractFixture): void {
  describe(`backend contract: ${name}`, () => {
    let h: Harness;
    const outputValues = (responses: Parameters<typeof valuesOf>[0]): number[] => valuesOf(responses, fixture.output);
    before(async () => {
      h = await startHarness(fixture);
    });
    after(async () => h.close());

    test('answers each of 8 concurrent requests with its own values', async () => {
      await checkOwnValues(h, fixture);
    });

    test('leaves no abort listener on a shared signal and no timer once requests are answered', async () => {
      await checkNoLeaks(h, fixture, 20);
    });

    test('a request aborted right after it is sent is CANCELLED or answered; the others are unaffected', async () => {
      const doomed = new AbortController();
      const others = [0, 1, 2].map((i) => h.send(300 + i, 5 * i));
      const cut = h.send(310, 99, { signal: doomed.signal });
      doomed.abort();
      const last = (await cut).at(-1)!;
      if (last.error !== undefined) assert.equal(last.error.code, 'CANCELLED', last.error.message);
      (await Promise.all(others)).forEach((a, i) => assert.deepEqual(outputValues(a), fixture.expected(5 * i)));
      assert.deepEqual(outputValues(await h.send(311, 7)), fixture.expected(7));
    });

    test('a wrong datatype is INVALID_ARG and the model keeps answering', async () => {
      await assert.rejects(
        h.send(400, 0, { inputs: [{ name: fixture.input ?? 'INPUT0', datatype: 'FP32', shape: fixture.batched ? [1, 2] : [2], data: new Uint8Array(8) }] }),
        (err: unknown) => err instanceof ServerError && err.code === 'INVALID_ARG' && err.message.includes(fixture.input ?? 'INPUT0'),
      );
      assert.deepEqual(outputValues(await h.send(401, 3)), fixture.expected(3));
    });

    test('an unload lets in-flight requests finish, then refuses new ones as not ready', async () => {
      const inflight = [0, 1, 2, 3].map((i) => h.send(500 + i, i));
      await h.server.unloadModel('m');
      (await Promise.all(inflight)).forEach((a, i) => assert.deepEqual(outputValues(a), fixture.expected(i)));
      await assert.rejects(h.send(510, 0), (err: unknown) => err instanceof ServerError && /unknown model|not at ready/.test(err.message));
    });
  });
}
