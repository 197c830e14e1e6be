/**
 * What must behave the same over HTTP and gRPC: every datatype round trip (binary, and JSON / typed
 * contents where the protocol allows), sequences with correlation ids, request parameters, and the
 * shared InferenceClient surface.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  GrpcClient, HttpClient, InferInput, InferRequestedOutput, type InferenceClient, type TensorData,
} from '../src/index.js';
import { ALL_TYPES, startLiveServer, type LiveServer } from './support/live-server.js';

let live: LiveServer;
const clients: Record<string, InferenceClient> = {};

before(async () => {
  live = await startLiveServer();
  clients.http = new HttpClient(live.httpUrl);
  clients.grpc = new GrpcClient(live.grpcUrl);
});
after(async () => {
  for (const c of Object.values(clients)) c.close();
  await live.close();
});

/** Values per datatype, and what asTypedArray / asStrings gives back for them. */
const SAMPLES: Record<(typeof ALL_TYPES)[number], { data: TensorData; expect: unknown[] }> = {
  BOOL: { data: [true, false, true], expect: [1, 0, 1] },
  INT8: { data: [-128, 0, 127], expect: [-128, 0, 127] },
  INT16: { data: [-32768, 1, 32767], expect: [-32768, 1, 32767] },
  INT32: { data: new Int32Array([-7, 0, 2 ** 31 - 1]), expect: [-7, 0, 2 ** 31 - 1] },
  INT64: { data: [-(2n ** 63n), 0n, 2n ** 53n + 1n], expect: [-(2n ** 63n), 0n, 2n ** 53n + 1n] },
  UINT8: { data: [0, 1, 255], expect: [0, 1, 255] },
  UINT16: { data: [0, 1, 65535], expect: [0, 1, 65535] },
  UINT32: { data: [0, 1, 2 ** 32 - 1], expect: [0, 1, 2 ** 32 - 1] },
  UINT64: { data: new BigUint64Array([0n, 1n, 2n ** 64n - 1n]), expect: [0n, 1n, 2n ** 64n - 1n] },
  FP16: { data: [0.5, -2, 65504], expect: [0.5, -2, 65504] },
  FP32: { data: [0.25, -1.5, 3e30], expect: [0.25, -1.5, Math.fround(3e30)] },
  FP64: { data: new Float64Array([Math.PI, -1e-300, 1e300]), expect: [Math.PI, -1e-300, 1e300] },
  BYTES: { data: ['a', '', 'ünï'], expect: ['a', '', 'ünï'] },
  BF16: { data: [1, -2.5, 256], expect: [1, -2.5, 256] },
};

for (const protocol of ['http', 'grpc'] as const) {
  for (const dt of ALL_TYPES) {
    test(`${protocol}: ${dt} round trip`, async () => {
      const client = clients[protocol]!;
      const { data, expect } = SAMPLES[dt];
      // 64-bit integers beyond 2^53 cannot survive JSON numbers: JSON mode is checked with small values there.
      const modes = dt === 'FP16' || dt === 'BF16' ? [true] : [true, false];
      for (const binary of modes) {
        const exact = binary || protocol === 'grpc' || !(dt === 'INT64' || dt === 'UINT64');
        const values = exact ? data : (dt === 'INT64' ? [-5n, 0n, 7n] : [0n, 1n, 9n]);
        const input = new InferInput(`I_${dt}`, [3], dt).setData(values, { binary });
        const r = await client.infer('types', [input], { outputs: [new InferRequestedOutput(`O_${dt}`, { binary })] });
        const got = dt === 'BYTES' ? r.asStrings(`O_${dt}`) : [...(r.asTypedArray(`O_${dt}`) as ArrayLike<unknown> & Iterable<unknown>)];
        assert.deepEqual(got, exact ? expect : values, `${dt} binary=${binary}`);
        assert.equal(r.output(`O_${dt}`)?.datatype, dt);
      }
    });
  }

  test(`${protocol}: sequence ids, start and end reach the sequence batcher`, async () => {
    const client = clients[protocol]!;
    const step = async (id: number | string, value: number, flags: { sequenceStart?: boolean; sequenceEnd?: boolean }) => {
      const r = await client.infer('accumulator', [new InferInput('INPUT', [1, 1], 'INT32').setData([value])], { sequenceId: id, ...flags });
      return r.asTypedArray('OUTPUT')[0];
    };
    const id = protocol === 'http' ? 101 : 202;
    assert.equal(await step(id, 5, { sequenceStart: true }), 5);
    assert.equal(await step(id, 7, {}), 12);
    assert.equal(await step(id, 1, { sequenceEnd: true }), 13);
    // Without START a new sequence is refused with the batcher's message.
    await assert.rejects(step(id + 1, 1, {}), /must specify the START flag/);
  });

  test(`${protocol}: priority, server-side timeout and custom parameters are accepted`, async () => {
    const r = await clients[protocol]!.infer('identity_fp32', [new InferInput('INPUT0', [1, 1], 'FP32').setData([1])], {
      priority: 1, timeout: 5_000_000, parameters: { note: 'x', n: 3, ratio: 0.5, flag: true },
    });
    assert.deepEqual([...r.asTypedArray('OUTPUT0')], [1]);
  });
}
