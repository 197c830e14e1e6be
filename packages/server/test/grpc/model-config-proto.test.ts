/**
 * model_config.proto against config/schema.ts (our single source of truth for the config tree):
 * the same messages, fields in the same declaration order, the same kinds, types, repetition,
 * oneofs, map key types and enum values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { PROTO_DIR } from '@inferd/protocol';
import { ENUMS, MESSAGES } from '../../src/config/schema.js';

function loadConfigProto(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_o, t) => join(PROTO_DIR, t);
  root.loadSync('model_config.proto', { keepCase: true });
  root.resolveAll();
  return root;
}

function describe(type: protobuf.Type, name: string): unknown[] {
  return type.fieldsArray.map((f) => {
    const relative = (t: protobuf.ReflectionObject) => t.fullName.replace(/^\.inference\./, '');
    const resolved = f.resolvedType;
    const isMap = f instanceof protobuf.MapField;
    const kind = isMap ? 'map' : resolved instanceof protobuf.Type ? 'message' : resolved instanceof protobuf.Enum ? 'enum' : 'scalar';
    return {
      message: name, name: f.name, kind,
      type: resolved === null ? f.type : relative(resolved),
      repeated: isMap ? false : f.repeated,
      ...(f.partOf ? { oneof: f.partOf.name } : {}),
      ...(isMap ? { key: (f as protobuf.MapField).keyType } : {}),
    };
  });
}

test('every schema message exists in model_config.proto with the same fields in the same order', () => {
  const root = loadConfigProto();
  for (const [name, def] of MESSAGES) {
    const type = root.lookupType(`inference.${name}`);
    const expected = def.fields.map((f) => ({
      message: name, name: f.name, kind: f.kind, type: f.type, repeated: f.repeated,
      ...(f.oneof === undefined ? {} : { oneof: f.oneof }),
      ...(f.key === undefined ? {} : { key: f.key }),
    }));
    assert.deepEqual(describe(type, name), expected, name);
  }
});

test('every proto message of the config tree is in the schema, and enums agree value by value', () => {
  const root = loadConfigProto();
  const protoMessages: string[] = [];
  const walk = (ns: protobuf.NamespaceBase): void => {
    for (const o of ns.nestedArray) {
      if (o instanceof protobuf.Type) {
        protoMessages.push(o.fullName.replace(/^\.inference\./, ''));
        walk(o);
      } else if (o instanceof protobuf.Enum) {
        const name = o.fullName.replace(/^\.inference\./, '');
        const values = Object.entries(o.values).sort((a, b) => a[1] - b[1]).map(([k]) => k);
        assert.deepEqual(values, ENUMS[name], name);
        assert.deepEqual(Object.values(o.values), values.map((_, i) => i), `${name} numbers are dense from 0`);
      } else if (o instanceof protobuf.Namespace) {
        walk(o);
      }
    }
  };
  walk(root);
  assert.deepEqual(protoMessages.sort(), [...MESSAGES.keys()].sort());
});

test('field numbers of the spec §6.1 table (spot checks of the non-sequential ones)', () => {
  const root = loadConfigProto();
  const id = (msg: string, field: string) => root.lookupType(`inference.${msg}`).fields[field]!.id;
  assert.deepEqual(
    ['backend', 'runtime', 'batch_input', 'batch_output', 'dynamic_batching', 'sequence_batching', 'ensemble_scheduling',
      'parameters', 'model_warmup', 'model_repository_agents', 'response_cache', 'model_metrics'].map((f) => id('ModelConfig', f)),
    [17, 25, 20, 21, 11, 13, 15, 14, 16, 23, 24, 26],
  );
  assert.equal(id('ModelInstanceGroup', 'kind'), 4);
  assert.equal(id('ModelInstanceGroup', 'host_policy'), 9);
  assert.equal(id('ModelOutput', 'label_filename'), 4);
  assert.equal(id('ModelOutput', 'reshape'), 5);
  assert.equal(id('ModelSequenceBatching.Control', 'bool_false_true'), 5);
  assert.equal(id('ModelSequenceBatching', 'direct'), 3);
  assert.equal(id('ModelEnsembling', 'max_inflight_requests'), 2);
});
