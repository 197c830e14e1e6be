/**
 * Trace mode `triton`: the trace file after known HTTP and gRPC requests (Triton's trace doc shape),
 * sampling by rate and count, log-frequency rotation and TENSORS records.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from '../support/http-harness.js';
import { identityRequest, startTraced } from './harness.js';

type TraceObject = { id: number; model_name?: string; model_version?: number; request_id?: string; parent_id?: number;
  timestamps?: { name: string; ns: number }[]; activity?: string; tensor?: { name: string; data: string; shape: string; dtype: string } };

function readTraces(path: string): TraceObject[] {
  return JSON.parse(readFileSync(path, 'utf8')) as TraceObject[];
}

/** id -> header, timestamp names in file order and their ns. */
function byId(objects: TraceObject[]): Map<number, { header: TraceObject; stamps: [string, number][]; tensors: TraceObject[] }> {
  const out = new Map<number, { header: TraceObject; stamps: [string, number][]; tensors: TraceObject[] }>();
  for (const o of objects) {
    if (o.model_name !== undefined) out.set(o.id, { header: o, stamps: [], tensors: [] });
    else if (o.timestamps !== undefined) for (const t of o.timestamps) out.get(o.id)!.stamps.push([t.name, t.ns]);
    else out.get(o.id)!.tensors.push(o);
  }
  return out;
}

const infer = (port: number, id: string, model = 'ident') =>
  request(port, 'POST', `/v2/models/${model}/infer`, { body: identityRequest(id) });

test('TIMESTAMPS at rate 1: every HTTP and gRPC request in the file, with ordered timestamps', async () => {
  const h = await startTraced(['level=TIMESTAMPS', 'rate=1', 'triton,file=$DIR/trace.json']);
  try {
    for (const id of ['a', 'b']) assert.equal((await infer(h.httpPort, id)).status, 200);
    await h.grpc.call('ModelInfer', {
      model_name: 'other', id: 'g',
      inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 2], contents: { fp32_contents: [1, 2] } }],
    });
    await h.tracer.flush();
    const traces = byId(readTraces(join(h.dir, 'trace.json')));
    assert.equal(traces.size, 3);
    const headers = [...traces.values()].map((t) => t.header);
    assert.deepEqual(headers.map((x) => [x.model_name, x.model_version, x.request_id, x.parent_id]),
      [['ident', 1, 'a', 0], ['ident', 1, 'b', 0], ['other', 1, 'g', 0]]);
    assert.deepEqual(headers.map((x) => x.id), [1, 2, 3]);
    const core = ['REQUEST_START', 'QUEUE_START', 'COMPUTE_START', 'COMPUTE_INPUT_END', 'COMPUTE_OUTPUT_START', 'COMPUTE_END', 'REQUEST_END'];
    for (const [id, t] of traces) {
      const names = t.stamps.map(([n]) => n);
      const expected = id === 3
        ? [...core, 'GRPC_SEND_START', 'GRPC_SEND_END']
        : ['HTTP_RECV_START', 'HTTP_RECV_END', ...core, 'HTTP_SEND_START', 'HTTP_SEND_END'];
      assert.deepEqual(names.filter((n) => expected.includes(n)), expected.filter((n) => names.includes(n)));
      for (const must of ['REQUEST_START', 'QUEUE_START', 'COMPUTE_START', 'COMPUTE_END', 'REQUEST_END']) assert.ok(names.includes(must), `${id}: ${must}`);
      if (id !== 3) for (const must of ['HTTP_RECV_START', 'HTTP_RECV_END', 'HTTP_SEND_START', 'HTTP_SEND_END']) assert.ok(names.includes(must));
      for (let i = 1; i < t.stamps.length; i++) assert.ok(t.stamps[i]![1] >= t.stamps[i - 1]![1], `${id}: ${names[i]} before ${names[i - 1]}`);
    }
  } finally {
    await h.close();
  }
});

test('rate 2 and count 2: the 2nd and 4th requests are traced, then none; trace_count counts down', async () => {
  const h = await startTraced(['level=TIMESTAMPS', 'rate=2', 'count=2', 'triton,file=$DIR/trace.json']);
  try {
    for (let i = 1; i <= 7; i++) assert.equal((await infer(h.httpPort, `r${i}`)).status, 200);
    const settings = JSON.parse((await request(h.httpPort, 'GET', '/v2/trace/setting')).text);
    assert.equal(settings.trace_count, '0');
    await h.tracer.flush();
    const headers = readTraces(join(h.dir, 'trace.json')).filter((o) => o.model_name !== undefined);
    assert.deepEqual(headers.map((o) => o.request_id), ['r2', 'r4']);
  } finally {
    await h.close();
  }
});

test('log-frequency 2: every two traces go to file.0, file.1, ...', async () => {
  const h = await startTraced(['level=TIMESTAMPS', 'rate=1', 'triton,log-frequency=2', 'triton,file=$DIR/t.json']);
  try {
    for (let i = 1; i <= 5; i++) await infer(h.httpPort, `r${i}`);
    const ids = (file: string) => readTraces(join(h.dir, file)).filter((o) => o.model_name !== undefined).map((o) => o.request_id);
    assert.deepEqual(ids('t.json.0'), ['r1', 'r2']);
    assert.deepEqual(ids('t.json.1'), ['r3', 'r4']);
    assert.equal(existsSync(join(h.dir, 't.json.2')), false);
    await h.tracer.flush();
    assert.deepEqual(ids('t.json.2'), ['r5']);
    assert.equal(existsSync(join(h.dir, 't.json')), false);
  } finally {
    await h.close();
  }
});

test('TENSORS level: queue inputs and backend outputs with data, shape and dtype', async () => {
  const h = await startTraced(['level=TENSORS', 'rate=1', 'triton,file=$DIR/trace.json']);
  try {
    await request(h.httpPort, 'POST', '/v2/models/ident/infer', { body: identityRequest('t', [1.5, 2, 3]) });
    await h.tracer.flush();
    const [t] = [...byId(readTraces(join(h.dir, 'trace.json'))).values()];
    assert.deepEqual(t!.stamps, [], 'TENSORS alone has no timestamps');
    assert.deepEqual(t!.tensors.map((o) => [o.activity, o.tensor]), [
      ['TENSOR_QUEUE_INPUT', { name: 'INPUT0', data: '1.5,2,3', shape: '1,3', dtype: 'FP32' }],
      ['TENSOR_BACKEND_OUTPUT', { name: 'OUTPUT0', data: '1.5,2,3', shape: '1,3', dtype: 'FP32' }],
    ]);
  } finally {
    await h.close();
  }
});

test('a per-model setting traces that model only; null clears it back to the global setting', async () => {
  const h = await startTraced(['rate=1', 'triton,file=$DIR/trace.json']);
  try {
    const post = (path: string, body: unknown) => request(h.httpPort, 'POST', path, { body: JSON.stringify(body) });
    assert.equal(h.tracer.enabled, false, 'every level OFF: frontends collect nothing');
    const model = JSON.parse((await post('/v2/models/ident/trace/setting', { trace_level: ['TIMESTAMPS'] })).text);
    assert.deepEqual(model.trace_level, ['TIMESTAMPS']);
    assert.deepEqual(JSON.parse((await request(h.httpPort, 'GET', '/v2/trace/setting')).text).trace_level, ['OFF']);
    await infer(h.httpPort, 'i1');
    await infer(h.httpPort, 'o1', 'other');
    const cleared = JSON.parse((await post('/v2/models/ident/trace/setting', { trace_level: null })).text);
    assert.deepEqual(cleared.trace_level, ['OFF']);
    assert.equal(h.tracer.enabled, false);
    await infer(h.httpPort, 'i2');
    await h.tracer.flush();
    const headers = readTraces(join(h.dir, 'trace.json')).filter((o) => o.model_name !== undefined);
    assert.deepEqual(headers.map((o) => o.request_id), ['i1']);
  } finally {
    await h.close();
  }
});

test('ModelStreamInfer requests are traced with their gRPC origin', async () => {
  const h = await startTraced(['level=TIMESTAMPS', 'rate=1', 'triton,file=$DIR/trace.json']);
  try {
    const stream = h.grpc.stream();
    const got = new Promise<void>((resolve, reject) => {
      stream.on('data', () => resolve());
      stream.on('error', reject);
    });
    stream.write({
      model_name: 'ident', id: 's1',
      inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 1], contents: { fp32_contents: [4] } }],
    });
    await got;
    stream.end();
    await h.tracer.flush();
    const [t] = [...byId(readTraces(join(h.dir, 'trace.json'))).values()];
    assert.equal(t!.header.request_id, 's1');
    const names = t!.stamps.map(([n]) => n);
    assert.deepEqual(names.slice(-3), ['REQUEST_END', 'GRPC_SEND_START', 'GRPC_SEND_END']);
  } finally {
    await h.close();
  }
});
