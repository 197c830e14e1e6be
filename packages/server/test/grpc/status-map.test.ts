import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { ERROR_CODES } from '../../src/core/index.js';
import { GRPC_STATUS_BY_CODE } from '../../src/frontends/grpc/index.js';

test('every core error code has a gRPC status (spec §0)', () => {
  assert.deepEqual(Object.keys(GRPC_STATUS_BY_CODE).sort(), [...ERROR_CODES].sort());
  assert.deepEqual(GRPC_STATUS_BY_CODE, {
    INVALID_ARG: status.INVALID_ARGUMENT, NOT_FOUND: status.NOT_FOUND, UNAVAILABLE: status.UNAVAILABLE,
    UNSUPPORTED: status.UNIMPLEMENTED, ALREADY_EXISTS: status.ALREADY_EXISTS, INTERNAL: status.INTERNAL,
    UNKNOWN: status.UNKNOWN, CANCELLED: status.CANCELLED,
  });
  assert.deepEqual(Object.values(GRPC_STATUS_BY_CODE), [3, 5, 14, 12, 6, 13, 2, 1]);
});
