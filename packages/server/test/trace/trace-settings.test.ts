/** The trace extension's settings API over HTTP and gRPC (spec §1.7, §5.1): values, overrides, Triton's errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from '../support/http-harness.js';
import { startTraced } from './harness.js';

test('HTTP trace settings: global and per-model updates, null clears, Triton messages and statuses', async () => {
  const h = await startTraced(['triton,file=$DIR/trace.json', 'rate=6']);
  try {
    const get = async (path: string) => JSON.parse((await request(h.httpPort, 'GET', path)).text);
    const post = (path: string, body: unknown) =>
      request(h.httpPort, 'POST', path, { body: typeof body === 'string' ? body : JSON.stringify(body) });
    const file = `${h.dir}/trace.json`;
    assert.deepEqual(await get('/v2/trace/setting'), {
      trace_level: ['OFF'], trace_rate: '6', trace_count: '-1', log_frequency: '0', trace_file: file, trace_mode: 'triton',
    });
    // A model override keeps its own fields and follows the global ones in the others.
    let r = await post('/v2/models/ident/trace/setting', { log_frequency: '2' });
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.text), {
      trace_level: ['OFF'], trace_rate: '6', trace_count: '-1', log_frequency: '2', trace_file: file, trace_mode: 'triton',
    });
    r = await post('/v2/trace/setting', { trace_level: ['TIMESTAMPS', 'TENSORS'], trace_rate: '3' });
    assert.deepEqual(JSON.parse(r.text).trace_level, ['TIMESTAMPS', 'TENSORS']);
    const model = await get('/v2/models/ident/trace/setting');
    assert.deepEqual([model.trace_level, model.trace_rate, model.log_frequency], [['TIMESTAMPS', 'TENSORS'], '3', '2']);
    assert.equal((await get('/v2/models/other/trace/setting')).log_frequency, '0');
    r = await post('/v2/models/ident/trace/setting', { log_frequency: null });
    assert.equal(JSON.parse(r.text).log_frequency, '0');
    r = await post('/v2/trace/setting', { trace_level: ['OFF'], trace_count: '5' });
    assert.deepEqual([JSON.parse(r.text).trace_level, JSON.parse(r.text).trace_count], [['OFF'], '5']);

    const failures: [unknown, number, string][] = [
      [{ trace_file: 'x.json' }, 501, 'trace file location can not be updated through network protocol'],
      [{ trace_level: ['OFF', 'TIMESTAMPS'] }, 400, "Expect only one trace level 'OFF' is specified"],
      [{ trace_rate: 'abc' }, 400, "Unable to parse 'trace_rate', got: abc"],
      [{ trace_rate: 5 }, 500, 'attempt to access JSON non-string as string'],
      [{ trace_count: '-2' }, 400, "Unable to parse 'trace_count'. Expecting value >= -1, got:-2"],
      [{ log_frequency: 'x' }, 400, "Unable to parse 'log_frequency', got: x"],
      [{ trace_level: 'TIMESTAMPS' }, 500, 'attempt to access JSON non-array as array'],
    ];
    for (const [body, status, message] of failures) {
      const f = await post('/v2/trace/setting', body);
      assert.deepEqual([f.status, JSON.parse(f.text).error], [status, message], JSON.stringify(body));
    }
    r = await request(h.httpPort, 'GET', '/v2/models/nope/trace/setting');
    assert.deepEqual([r.status, JSON.parse(r.text).error], [400, 'Request for unknown model : nope']);
    assert.equal((await request(h.httpPort, 'PUT', '/v2/trace/setting')).status, 405);
    assert.equal((await request(h.httpPort, 'GET', '/v2/models/ident/versions/1/trace/setting')).status, 404);
  } finally {
    await h.close();
  }
});

test('gRPC TraceSetting: read, update, clear with an empty value list, errors', async () => {
  const h = await startTraced(['triton,file=$DIR/trace.json']);
  try {
    const flat = (res: { settings: Record<string, { value: string[] }> }) =>
      Object.fromEntries(Object.entries(res.settings).map(([k, v]) => [k, v.value]));
    let res = await h.grpc.call('TraceSetting', {});
    assert.deepEqual(flat(res), {
      trace_level: ['OFF'], trace_rate: ['1000'], trace_count: ['-1'], log_frequency: ['0'], trace_file: [`${h.dir}/trace.json`], trace_mode: ['triton'],
    });
    res = await h.grpc.call('TraceSetting', { model_name: 'ident', settings: { trace_level: { value: ['TIMESTAMPS'] }, trace_rate: { value: ['1'] } } });
    assert.deepEqual([flat(res).trace_level, flat(res).trace_rate], [['TIMESTAMPS'], ['1']]);
    res = await h.grpc.call('TraceSetting', { model_name: 'ident', settings: { trace_rate: { value: [] } } });
    assert.deepEqual(flat(res).trace_rate, ['1000']);
    const failures: [unknown, number, string][] = [
      [{ settings: { trace_file: { value: ['x'] } } }, 12, 'trace file location can not be updated through network protocol'],
      [{ settings: { trace_rate: { value: ['1', '2'] } } }, 3, "expect only 1 value for 'trace_rate'"],
      [{ settings: { trace_count: { value: ['-3'] } } }, 3, "Unable to parse 'trace_count'. Expecting value >= -1, got:-3"],
      [{ model_name: 'nope' }, 3, 'Request for unknown model : nope'],
    ];
    for (const [req, code, details] of failures) {
      await assert.rejects(h.grpc.call('TraceSetting', req), (e: { code: number; details: string }) => {
        assert.deepEqual([e.code, e.details], [code, details]);
        return true;
      });
    }
  } finally {
    await h.close();
  }
});
