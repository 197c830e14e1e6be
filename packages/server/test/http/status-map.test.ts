import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODES } from '../../src/core/index.js';
import { HTTP_STATUS_BY_CODE } from '../../src/frontends/http/index.js';

test('every core error code has an HTTP status (spec §0)', () => {
  assert.deepEqual(Object.keys(HTTP_STATUS_BY_CODE).sort(), [...ERROR_CODES].sort());
  assert.deepEqual(HTTP_STATUS_BY_CODE, {
    INVALID_ARG: 400, NOT_FOUND: 404, UNAVAILABLE: 503, UNSUPPORTED: 501, ALREADY_EXISTS: 400, INTERNAL: 500,
    UNKNOWN: 400, CANCELLED: 400,
  });
});
