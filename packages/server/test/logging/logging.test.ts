/**
 * The logging API over HTTP and gRPC (spec §1.7, §5.1): settings really change the Logger's output;
 * Triton's statuses and messages for bad values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from '../support/http-harness.js';
import { startTraced } from '../trace/harness.js';

test('HTTP /v2/logging: verbose level, info switch and format change the log lines', async () => {
  const h = await startTraced([]);
  try {
    const post = (body: unknown) => request(h.httpPort, 'POST', '/v2/logging', { body: JSON.stringify(body) });
    assert.deepEqual(JSON.parse((await request(h.httpPort, 'GET', '/v2/logging')).text), {
      log_file: '', log_info: true, log_warning: true, log_error: true, log_verbose_level: 0, log_format: 'default',
    });
    h.lines.length = 0;
    h.logger.verbose(1, 'test', 'v-before');
    h.logger.info('test', 'i-before');
    assert.deepEqual(h.lines.map((l) => l.trim().split(' ').pop()), ['i-before']);

    const r = await post({ log_verbose_level: 2, log_info: false, log_format: 'ISO8601', log_file: null });
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.text), {
      log_file: '', log_info: false, log_warning: true, log_error: true, log_verbose_level: 2, log_format: 'ISO8601',
    });
    h.lines.length = 0;
    h.logger.verbose(2, 'test', 'v-after');
    h.logger.verbose(3, 'test', 'v-too-deep');
    h.logger.info('test', 'i-after');
    h.logger.warning('test', 'w-after');
    assert.deepEqual(h.lines.map((l) => l.trim().split(' ').pop()), ['v-after', 'w-after']);
    assert.match(h.lines[0]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ V \d+ test\] v-after\n$/);

    const failures: [unknown, number, string][] = [
      [{ log_format: 'xml' }, 503, 'invalid argument for --log_format, got: xml'],
      [{ log_file: 'x.log' }, 501, 'log file location can not be updated through network protocol'],
      [{ log_info: 'yes' }, 500, 'attempt to access JSON non-boolean as boolean'],
      [{ log_verbose_level: -1 }, 500, 'attempt to access JSON non-unsigned-integer as unsigned-integer'],
    ];
    for (const [body, status, message] of failures) {
      const f = await post(body);
      assert.deepEqual([f.status, JSON.parse(f.text).error], [status, message], JSON.stringify(body));
    }
    assert.equal(JSON.parse((await request(h.httpPort, 'GET', '/v2/logging')).text).log_verbose_level, 2, 'failed updates change nothing');
    assert.equal((await request(h.httpPort, 'DELETE', '/v2/logging')).status, 405);
  } finally {
    await h.close();
  }
});

test('gRPC LogSettings: update and read back; wrong kinds and values refused', async () => {
  const h = await startTraced([]);
  try {
    const res = await h.grpc.call('LogSettings', {
      settings: { log_verbose_level: { uint32_param: 1 }, log_error: { bool_param: false } },
    });
    assert.deepEqual(res.settings.log_verbose_level.uint32_param, 1);
    assert.deepEqual(res.settings.log_error.bool_param, false);
    assert.equal(h.logger.settings.verboseLevel, 1);
    h.lines.length = 0;
    h.logger.verbose(1, 'test', 'now-visible');
    h.logger.error('test', 'now-hidden');
    assert.deepEqual(h.lines.map((l) => l.trim().split(' ').pop()), ['now-visible']);
    const failures: [unknown, number, string][] = [
      [{ settings: { log_info: { uint32_param: 1 } } }, 3, "expect boolean for 'log_info'"],
      [{ settings: { log_verbose_level: { bool_param: true } } }, 3, "expect int32 for 'log_verbose_level'"],
      [{ settings: { log_format: { string_param: 'xml' } } }, 3, 'invalid argument for log_format, got: xml'],
      [{ settings: { log_file: { string_param: '' } } }, 12, 'log file location can not be updated through network protocol'],
    ];
    for (const [req, code, details] of failures) {
      await assert.rejects(h.grpc.call('LogSettings', req), (e: { code: number; details: string }) => {
        assert.deepEqual([e.code, e.details], [code, details]);
        return true;
      });
    }
  } finally {
    await h.close();
  }
});
