/**
 * The tracer keeps the last 50 finished traces for the web console's Traces page, whatever the sink
 * (here no trace file at all), oldest first, with their timestamps; the ring drops the oldest.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from '../support/http-harness.js';
import { startTraced } from './harness.js';

const body = (id: string) => JSON.stringify({ id, inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] });

test('recent traces: the last 50, oldest first, each with its request id and queue/compute stamps', async () => {
  const h = await startTraced(['level=TIMESTAMPS', 'rate=1']);
  try {
    assert.deepEqual(h.tracer.recent(), []);
    for (let i = 1; i <= 60; i++) {
      const r = await request(h.httpPort, 'POST', '/v2/models/ident/infer', { body: body(`r${i}`) });
      assert.equal(r.status, 200, r.text);
    }
    const recent = h.tracer.recent() as { requestId: string; modelName: string; timestamps: [string, number][] }[];
    assert.deepEqual(recent.map((t) => t.requestId), Array.from({ length: 50 }, (_, i) => `r${i + 11}`));
    const names = recent[49]!.timestamps.map(([n]) => n);
    for (const n of ['REQUEST_START', 'QUEUE_START', 'COMPUTE_START', 'COMPUTE_END', 'REQUEST_END']) assert.ok(names.includes(n), `${n} in ${names}`);
    assert.equal(recent[49]!.modelName, 'ident');
  } finally {
    await h.close();
  }
});
