import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseModelVersion, ServerError } from '../src/core/index.js';

test('version strings parse like Triton (empty = latest, junk = INVALID_ARG)', () => {
  assert.equal(parseModelVersion(''), undefined);
  assert.equal(parseModelVersion(undefined), undefined);
  assert.equal(parseModelVersion('3'), 3);
  assert.throws(() => parseModelVersion('abc'), (e: unknown) =>
    e instanceof ServerError && e.code === 'INVALID_ARG' && /version should be an integral value > 0/.test(e.message));
});
