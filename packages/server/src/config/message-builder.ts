/**
 * Proto3 field semantics shared by the pbtxt and JSON parsers, so both build identical objects:
 * - singular scalars without presence are not stored when they hold their default (proto3 cannot tell
 *   `max_batch_size: 0` from nothing; neither can Triton), oneof members always are;
 * - a singular field set twice, or two members of one oneof, is an error worded as protobuf's;
 * - empty repeated fields and maps are not stored.
 */
import { defaultValue, type FieldDef, type MessageDef } from './schema.js';

export type Obj = Record<string, unknown>;

/** The error message for setting `field` again, or undefined when allowed. */
export function singularConflict(obj: Obj, def: MessageDef, field: FieldDef): string | undefined {
  if (field.repeated || field.kind === 'map') return undefined;
  if (Object.hasOwn(obj, field.name)) return `Non-repeated field "${field.name}" is specified multiple times.`;
  if (field.oneof !== undefined) {
    const other = def.fields.find((f) => f.oneof === field.oneof && f !== field && Object.hasOwn(obj, f.name));
    if (other !== undefined) {
      return `Field "${field.name}" is specified along with field "${other.name}", another member of oneof "${field.oneof}".`;
    }
  }
  return undefined;
}

/** Stores a singular scalar/enum value, leaving proto3 defaults out unless the field has presence. */
export function setSingular(obj: Obj, field: FieldDef, value: unknown): void {
  if (field.oneof === undefined && Object.is(value, defaultValue(field))) return;
  obj[field.name] = value;
}

export function appendRepeated(obj: Obj, field: FieldDef, value: unknown): void {
  const list = (obj[field.name] as unknown[] | undefined) ?? [];
  list.push(value);
  obj[field.name] = list;
}

/** Map entries: a later entry with the same key replaces the earlier one (protobuf's merge rule). */
export function setMapEntry(obj: Obj, field: FieldDef, key: string, value: unknown): void {
  const entries = (obj[field.name] as Obj | undefined) ?? {};
  entries[key] = value;
  obj[field.name] = entries;
}
