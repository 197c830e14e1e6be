/**
 * Reasons give errors an identity below the eight codes: the registry's templates, `ServerError.of`,
 * and the brand that lets an error made by another copy of the package (a plug-in with its own
 * `inferd`) pass `instanceof ServerError` and keep its reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODES, ERROR_REASONS, ServerError } from '../../src/core/index.js';
import { ConfigError } from '../../src/config/errors.js';

test('every reason has one of the eight codes and a message; of() sets code, reason and text', () => {
  for (const [name, def] of Object.entries(ERROR_REASONS)) {
    assert.ok((ERROR_CODES as readonly string[]).includes(def.code), name);
  }
  const e = ServerError.of('MODEL_VERSION_NOT_READY', 'simple', '3');
  assert.equal(e.code, 'UNAVAILABLE');
  assert.equal(e.reason, 'MODEL_VERSION_NOT_READY');
  assert.equal(e.message, "Request for unknown model: 'simple' version 3 is not at ready state");
  assert.ok(ServerError.isReason(e, 'MODEL_VERSION_NOT_READY'));
  assert.ok(!ServerError.isReason(e, 'MODEL_UNKNOWN'));
  assert.ok(!ServerError.isReason(new Error(e.message), 'MODEL_VERSION_NOT_READY'), 'text alone is no reason');
  assert.equal(ServerError.invalidArg('x').reason, undefined);
});

test('an error from another copy of the module is a ServerError with its reason; subclasses still check their own class', async () => {
  const copy = (await import(`../../src/core/errors.ts?copy=${Date.now()}`)) as typeof import('../../src/core/errors.js');
  assert.notEqual(copy.ServerError, ServerError, 'a separate module instance');
  const foreign = copy.ServerError.of('DECOUPLED_SINGLE_RESPONSE');
  assert.ok(foreign instanceof ServerError);
  assert.equal(ServerError.from(foreign), foreign);
  assert.ok(ServerError.isReason(foreign, 'DECOUPLED_SINGLE_RESPONSE'));
  assert.ok(!(new Error('x') instanceof ServerError));
  assert.ok(!({ code: 'INTERNAL' } instanceof ServerError));
  assert.ok(!(ServerError.internal('x') instanceof ConfigError), 'a plain ServerError is no ConfigError');
  assert.ok(new ConfigError('bad') instanceof ServerError);
});
