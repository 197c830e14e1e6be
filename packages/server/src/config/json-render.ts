/**
 * Triton's /config JSON (spec §6.3): protobuf MessageToJson with preserve_proto_field_names and
 * always_print_primitive_fields, then Triton's int64 fix-up. So every scalar of a present message appears
 * with its default, repeated fields as [], maps as {}; unset sub-messages and unset oneof members are
 * left out; keys follow proto declaration order; int64/uint64 become JSON numbers except on the few
 * paths Triton does not fix (schema `int64AsString`) and map keys (JSON keys are strings).
 */
import { defaultValue, isMessageType, messageDef, type FieldDef } from './schema.js';
import type { ModelConfig } from './types.js';

type Obj = Record<string, unknown>;

function scalarJson(field: FieldDef, value: unknown): unknown {
  if (field.kind === 'enum') return value;
  if (field.type === 'float' || field.type === 'double') {
    const n = Number(value);
    // JSON has no non-finite numbers; protobuf writes them as these strings.
    if (Number.isNaN(n)) return 'NaN';
    if (n === Infinity) return 'Infinity';
    if (n === -Infinity) return '-Infinity';
    return n;
  }
  if ((field.type === 'int64' || field.type === 'uint64') && field.int64AsString) return String(value);
  return value;
}

function renderMessage(typeName: string, obj: Obj): Obj {
  const out: Obj = {};
  for (const field of messageDef(typeName).fields) {
    const has = Object.hasOwn(obj, field.name) && obj[field.name] !== undefined;
    const value = obj[field.name];
    if (field.kind === 'map') {
      const entries: Obj = {};
      for (const [k, v] of Object.entries((value as Obj | undefined) ?? {})) {
        entries[k] = isMessageType(field.type) ? renderMessage(field.type, v as Obj) : v;
      }
      out[field.name] = entries;
    } else if (field.repeated) {
      const items = (value as unknown[] | undefined) ?? [];
      out[field.name] = field.kind === 'message'
        ? items.map((v) => renderMessage(field.type, v as Obj))
        : items.map((v) => scalarJson(field, v));
    } else if (field.kind === 'message') {
      if (has) out[field.name] = renderMessage(field.type, value as Obj);
    } else if (has) {
      out[field.name] = scalarJson(field, value);
    } else if (field.oneof === undefined) {
      out[field.name] = scalarJson(field, defaultValue(field));
    }
  }
  return out;
}

/** The config as Triton's `GET /v2/models/<m>/config` returns it. */
export function renderConfigJson(config: ModelConfig): Record<string, unknown> {
  return renderMessage('ModelConfig', config as Obj);
}
