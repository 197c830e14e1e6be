/**
 * The model config is written three times: the hand TypeScript types (src/config/types.ts), the schema
 * that drives every parser and renderer (src/config/schema.ts), and the .proto the gRPC ModelConfig RPC
 * encodes with (packages/protocol/proto/model_config.proto, from which the `pb` types are generated).
 * These tests hold the three to one another: a field added, renamed, reordered or retyped in one of them
 * and not the others fails here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import ts from 'typescript';
import { PROTO_DIR } from '@inferd/protocol';
import { ENUMS, MESSAGES, type FieldDef } from '../../src/config/schema.js';
import * as types from '../../src/config/types.js';

const root = new protobuf.Root().loadSync(`${PROTO_DIR}/model_config.proto`, { keepCase: true });
root.resolveAll();

/** The schema's view of a proto field: what the parsers rely on. */
function fromProto(field: protobuf.Field): Omit<FieldDef, 'int64AsString'> {
  const isMap = field instanceof protobuf.MapField;
  const resolved = field.resolvedType;
  const kind = isMap ? 'map' : resolved instanceof protobuf.Enum ? 'enum' : resolved instanceof protobuf.Type ? 'message' : 'scalar';
  const type = resolved === null ? field.type : resolved.fullName.replace(/^\.inference\./, '');
  const out: Omit<FieldDef, 'int64AsString'> = { name: field.name, kind, type, repeated: field.repeated && !isMap };
  const withOneof = field.partOf === null ? out : { ...out, oneof: field.partOf.name };
  return isMap ? { ...withOneof, key: (field as protobuf.MapField).keyType as 'string' | 'uint64' } : withOneof;
}

function protoMessages(): Map<string, protobuf.Type> {
  const out = new Map<string, protobuf.Type>();
  const walk = (ns: protobuf.NamespaceBase): void => {
    for (const nested of ns.nestedArray) {
      if (nested instanceof protobuf.Type) out.set(nested.fullName.replace(/^\.inference\./, ''), nested);
      if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) walk(nested);
    }
  };
  walk(root.lookup('inference') as protobuf.Namespace);
  return out;
}

test('schema.ts lists every message of model_config.proto with its fields in declaration order', () => {
  const proto = protoMessages();
  // Messages the schema leaves out must be a deliberate few (none today).
  assert.deepEqual([...proto.keys()].filter((n) => !MESSAGES.has(n)).sort(), []);
  for (const [name, def] of MESSAGES) {
    const type = proto.get(name);
    assert.ok(type !== undefined, `schema message ${name} is not in model_config.proto`);
    const expected = type.fieldsArray.map(fromProto);
    const actual = def.fields.map(({ int64AsString: _, ...f }) => f);
    assert.deepEqual(actual, expected, name);
  }
});

test('schema.ts enums are model_config.proto enums, values dense from 0', () => {
  const names = Object.keys(ENUMS).sort();
  for (const name of names) {
    const e = root.lookupEnum(`inference.${name}`);
    const byNumber = Object.entries(e.values).sort((a, b) => a[1] - b[1]);
    assert.deepEqual(byNumber.map(([, v]) => v), byNumber.map((_, i) => i), `${name} is dense`);
    assert.deepEqual(ENUMS[name], byNumber.map(([k]) => k), name);
  }
});

test('the enum name lists of types.ts are the schema enums', () => {
  assert.deepEqual(types.DATA_TYPE_NAMES, ENUMS.DataType);
  assert.deepEqual(types.INPUT_FORMATS, ENUMS['ModelInput.Format']);
  assert.deepEqual(types.INSTANCE_KINDS, ENUMS['ModelInstanceGroup.Kind']);
  assert.deepEqual(types.BATCH_INPUT_KINDS, ENUMS['BatchInput.Kind']);
  assert.deepEqual(types.BATCH_OUTPUT_KINDS, ENUMS['BatchOutput.Kind']);
  assert.deepEqual(types.TIMEOUT_ACTIONS, ENUMS['ModelQueuePolicy.TimeoutAction']);
  assert.deepEqual(types.CONTROL_KINDS, ENUMS['ModelSequenceBatching.Control.Kind']);
  assert.deepEqual(types.MODEL_PRIORITIES, ENUMS['ModelOptimizationPolicy.ModelPriority']);
});

/** types.ts interfaces whose name is not their message's name. */
const INTERFACE_MESSAGE: Record<string, string> = {
  SequenceControl: 'ModelSequenceBatching.Control',
  SequenceInitialState: 'ModelSequenceBatching.InitialState',
  SequenceState: 'ModelSequenceBatching.State',
  EnsembleStep: 'ModelEnsembling.Step',
  ModelWarmupInput: 'ModelWarmup.Input',
  ExecutionAccelerator: 'ModelOptimizationPolicy.ExecutionAccelerators.Accelerator',
  CudaGraphShape: 'ModelOptimizationPolicy.Cuda.GraphSpec.Shape',
  CudaGraphSpec: 'ModelOptimizationPolicy.Cuda.GraphSpec',
};

test('every interface of types.ts has exactly the fields of its schema message, nested literals included', () => {
  const file = fileURLToPath(new URL('../../src/config/types.ts', import.meta.url));
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const interfaces = new Map<string, ts.InterfaceDeclaration>();
  source.forEachChild((n) => {
    if (ts.isInterfaceDeclaration(n)) interfaces.set(n.name.text, n);
  });
  const problems: string[] = [];
  const messageOf = (iface: string): string => INTERFACE_MESSAGE[iface] ?? iface;

  /** The message a property's type names: `X`, `X[]`, `Record<string, X>`, `{ ... }` or `{ ... }[]`. */
  const check = (where: string, message: string, members: ts.NodeArray<ts.TypeElement>): void => {
    const def = MESSAGES.get(message);
    if (def === undefined) {
      problems.push(`${where}: no schema message ${message}`);
      return;
    }
    const props = members.filter(ts.isPropertySignature);
    const names = props.map((p) => p.name.getText(source));
    const fields = def.fields.map((f) => f.name);
    if (JSON.stringify([...names].sort()) !== JSON.stringify([...fields].sort())) {
      problems.push(`${where} (${message}): fields [${names}] vs schema [${fields}]`);
    }
    for (const p of props) {
      const field = def.fields.find((f) => f.name === p.name.getText(source));
      if (field === undefined || p.type === undefined) continue;
      if (field.kind !== 'message' && !(field.kind === 'map' && MESSAGES.has(field.type))) continue;
      let t: ts.TypeNode = p.type;
      if (ts.isArrayTypeNode(t)) t = t.elementType;
      if (ts.isTypeReferenceNode(t) && t.typeName.getText(source) === 'Record' && t.typeArguments?.[1] !== undefined) {
        t = t.typeArguments[1];
      }
      const at = `${where}.${field.name}`;
      // `Record<string, never>`: an empty message (ModelVersionPolicy.All).
      if (t.kind === ts.SyntaxKind.NeverKeyword) {
        if (MESSAGES.get(field.type)?.fields.length !== 0) problems.push(`${at}: never for a message with fields`);
      } else if (ts.isTypeLiteralNode(t)) check(at, field.type, t.members);
      else if (ts.isTypeReferenceNode(t)) {
        const ref = t.typeName.getText(source);
        if (messageOf(ref) !== field.type) problems.push(`${at}: ${ref} stands for ${messageOf(ref)}, the field is ${field.type}`);
      } else problems.push(`${at}: unexpected type ${t.getText(source)}`);
    }
  };
  for (const [name, decl] of interfaces) check(name, messageOf(name), decl.members);
  assert.ok(interfaces.has('ModelConfig') && interfaces.size > 20, 'the reader found the interfaces');
  assert.deepEqual(problems, []);
});
