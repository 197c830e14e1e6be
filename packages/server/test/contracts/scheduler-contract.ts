/**
 * The contract every Scheduler keeps, as one suite: `schedulerContract(name, fixture)` with a model `m`
 * scheduled that way (on the identity backend with one instance that holds each execution a few ms, so
 * requests queue). A new scheduler gets the whole suite from a few lines in schedulers.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkNoLeaks, checkOwnValues, outputValues, startHarness, type ContractFixture, type Harness } from './contract-harness.js';

export function schedulerContract(name: string, fixture: ContractFixture): void {
  describe(`scheduler contract: ${name}`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness(fixture);
    });
    after(async () => h.close());

    test('answers each of 8 concurrent (queued) requests with its own values', async () => {
      await checkOwnValues(h, fixture);
    });

    test('leaves no abort listener on a shared signal and no timer once its queued requests are answered', async () => {
      await checkNoLeaks(h, fixture, 12);
    });

    test('a queued request whose signal aborts is answered CANCELLED before the busy instance frees up', async () => {
      const busy = Array.from({ length: 6 }, (_, i) => h.send(300 + i, i));
      const controller = new AbortController();
      let busyDone = false;
      void Promise.all(busy).then(() => (busyDone = true));
      const cut = h.send(310, 50, { signal: controller.signal });
      controller.abort();
      const last = (await cut).at(-1)!;
      assert.equal(last.error?.code, 'CANCELLED', last.error?.message ?? 'answered');
      assert.equal(busyDone, false, 'the cancellation waited for the queue ahead of it');
      (await Promise.all(busy)).forEach((a, i) => assert.deepEqual(outputValues(a), fixture.expected(i)));
    });

    test('an unload lets every queued request finish', async () => {
      const queued = Array.from({ length: 6 }, (_, i) => h.send(500 + i, i));
      await h.server.unloadModel('m');
      (await Promise.all(queued)).forEach((a, i) => assert.deepEqual(outputValues(a), fixture.expected(i)));
    });
  });
}
