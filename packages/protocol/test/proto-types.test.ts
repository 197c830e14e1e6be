/**
 * The committed generated types must match what the generator emits for the current .proto files,
 * and the generated shapes must match what @grpc/proto-loader really decodes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { generateProtoTypes, GENERATED_FILE } from '../../../scripts/generate-proto-types.js';
import { PROTO_DIR, PROTO_FILES, PROTO_LOADER_OPTIONS } from '../src/index.js';

test('committed proto-types.ts is what the generator emits (run scripts/generate-proto-types.ts)', () => {
  assert.equal(readFileSync(GENERATED_FILE, 'utf8'), generateProtoTypes());
});

test('PROTO_DIR holds every proto file', () => {
  for (const f of [...PROTO_FILES, 'model_config.proto']) {
    assert.match(readFileSync(join(PROTO_DIR, f), 'utf8'), /^syntax = "proto3";$/m);
  }
});

test('decoded objects have the generated shape: long strings, Buffer bytes, null sub-messages, oneof names', () => {
  const root = new protobuf.Root();
  root.resolvePath = (_o, t) => join(PROTO_DIR, t);
  root.loadSync([...PROTO_FILES], { keepCase: true });
  const Req = root.lookupType('inference.ModelInferRequest');
  const wire = Req.encode(Req.fromObject({
    model_name: 'm', parameters: { sequence_id: { uint64_param: '18446744073709551615' } },
    inputs: [{ name: 'X', datatype: 'INT64', shape: [2] }], raw_input_contents: [Buffer.from([1, 2])],
  })).finish();
  const obj = Req.toObject(Req.decode(wire), PROTO_LOADER_OPTIONS) as Record<string, unknown>;
  assert.deepEqual(obj.parameters, { sequence_id: { uint64_param: '18446744073709551615', parameter_choice: 'uint64_param' } });
  const input = (obj.inputs as Record<string, unknown>[])[0]!;
  assert.deepEqual(input.shape, ['2']);
  assert.equal(input.contents, null);
  assert.ok(Buffer.isBuffer((obj.raw_input_contents as unknown[])[0]));
  assert.equal(obj.id, '');
});
