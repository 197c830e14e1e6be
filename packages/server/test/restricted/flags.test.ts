/** Parsing of --http-restricted-api / --grpc-restricted-protocol and the header forward patterns. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseForwardPattern, parseRestrictedApis } from '../../src/cli/restricted-flags.js';
import { toServeSettings } from '../../src/cli/options.js';

test('restricted APIs: several groups per flag, repeatable, keys and values kept as given', () => {
  const apis = parseRestrictedApis(['health,metadata:hk=hv', 'inference:ik=a=b', 'shared-memory:K:x=v'], 'http-restricted-api');
  assert.deepEqual([...apis], [
    ['health', { key: 'hk', value: 'hv' }],
    ['metadata', { key: 'hk', value: 'hv' }],
    ['inference', { key: 'ik', value: 'a=b' }],
    ['shared-memory', { key: 'K:x', value: 'v' }],
  ]);
});

test('restricted protocols: the metadata key gets the triton-grpc-protocol- prefix', () => {
  const apis = parseRestrictedApis(['model-config,model-repository,statistics,trace,logging:key=1'], 'grpc-restricted-protocol');
  assert.equal(apis.size, 5);
  for (const group of ['model-config', 'model-repository', 'statistics', 'trace', 'logging'] as const) {
    assert.deepEqual(apis.get(group), { key: 'triton-grpc-protocol-key', value: '1' });
  }
});

test('unknown group, group in two flags, malformed values: Triton messages', () => {
  assert.throws(() => parseRestrictedApis(['healthz:k=v'], 'http-restricted-api'), { message: "unknown restricted api 'healthz'" });
  assert.throws(() => parseRestrictedApis(['Health:k=v'], 'grpc-restricted-protocol'), { message: "unknown restricted protocol 'Health'" });
  assert.throws(() => parseRestrictedApis(['health:a=1', 'metadata,health:b=2'], 'http-restricted-api'), {
    message: "restricted api 'health' can not be specified in multiple config groups",
  });
  assert.throws(() => parseRestrictedApis(['health,health:a=1'], 'grpc-restricted-protocol'), {
    message: "restricted protocol 'health' can not be specified in multiple config groups",
  });
  for (const bad of ['health', 'health:k', ':k=v', 'health:=v', 'health:k=', 'k=v:health']) {
    assert.throws(() => parseRestrictedApis([bad], 'http-restricted-api'), {
      message: `--http-restricted-api option format is '<config name>:<setting>=<value>'. Got ${bad}`,
    }, bad);
  }
  assert.throws(() => parseRestrictedApis(['health'], 'grpc-restricted-protocol'), {
    message: "--grpc-restricted-protocol option format is '<config name>:<setting>=<value>'. Got health",
  });
});

test('forward patterns: case-insensitive unless (?-i); invalid patterns rejected', () => {
  const p = parseForwardPattern('^x-fwd-', 'http-header-forward-pattern');
  assert.equal(p.test('X-FWD-one'), true);
  assert.equal(p.test('y-fwd-one'), false);
  const strict = parseForwardPattern('(?-i)^x-Fwd', 'grpc-header-forward-pattern');
  assert.equal(strict.test('x-Fwd'), true);
  assert.equal(strict.test('x-fwd'), false);
  assert.equal(parseForwardPattern('(?i)abc', 'http-header-forward-pattern').test('xABCx'), true);
  assert.throws(() => parseForwardPattern('(', 'grpc-header-forward-pattern'), (err: Error) =>
    err.message.startsWith("invalid --grpc-header-forward-pattern '(': "));
});

test('serve settings carry both maps and patterns (empty map when the flag is absent)', () => {
  const s = toServeSettings({
    modelRepository: ['/tmp/x'], httpRestrictedApi: ['health:a=b'], grpcHeaderForwardPattern: 'meta',
  });
  assert.deepEqual([...s.http!.restrictedApis!], [['health', { key: 'a', value: 'b' }]]);
  assert.equal(s.grpc?.restrictedApis?.size, 0);
  assert.equal(s.http?.headerForwardPattern, undefined);
  assert.equal(s.grpc?.headerForwardPattern?.source, 'meta');
  assert.equal(s.grpc?.headerForwardPattern?.flags, 'i');
  assert.deepEqual(s.acceptedButIgnored, []);
  assert.throws(() => toServeSettings({ modelRepository: ['/tmp/x'], grpcRestrictedProtocol: ['nope:a=b'] }), {
    message: "unknown restricted protocol 'nope'",
  });
});
