/**
 * One conformance suite, two transports: every scenario of scenarios.ts runs over HTTP (binary tensor
 * extension) and over gRPC against the same real server serving examples/models, checking exact
 * values, Triton's error messages and each protocol's status (spec §0). Then the two transports must
 * report identical metadata and configuration for every model.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MODELS, startConformanceServer, type ConformanceServer } from './harness.js';
import { SCENARIOS, STATUS } from './scenarios.js';
import { TransportError, type TransportName } from './transport.js';
import { canonicalConfig } from './canonical-config.js';

let s: ConformanceServer;

before(async () => {
  s = await startConformanceServer();
});
after(async () => {
  await s.close();
});

for (const transport of ['http', 'grpc'] as const satisfies readonly TransportName[]) {
  describe(`conformance over ${transport}`, () => {
    for (const sc of SCENARIOS) {
      if (sc.only !== undefined && sc.only !== transport) continue;
      test(sc.name, async () => {
        const t = s.transports[transport];
        const override = sc.errorOn?.[transport];
        const expectedError = override ?? (sc.error === undefined ? undefined : { message: sc.error.message, status: STATUS[sc.error.code][transport] });
        if (expectedError === undefined) {
          assert.deepEqual(await sc.run(t), sc.expect);
          return;
        }
        await assert.rejects(sc.run(t), (err: unknown) => {
          assert.ok(err instanceof TransportError, `expected a TransportError, got ${String(err)}`);
          assert.equal(err.message, expectedError.message);
          assert.equal(err.status, expectedError.status);
          return true;
        });
      });
    }
  });
}

describe('both transports report the same', () => {
  for (const model of MODELS) {
    test(`metadata and configuration of ${model}`, async () => {
      const { http, grpc } = s.transports;
      assert.deepEqual(await grpc.metadata(model), await http.metadata(model));
      assert.deepEqual(canonicalConfig(await grpc.config(model)), canonicalConfig(await http.config(model)));
    });
  }
});
