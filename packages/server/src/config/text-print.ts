/**
 * ModelConfig -> protobuf text format, in the layout Triton's docs use (`dims: [ .. ]` lists, `input [ {..} ]`
 * blocks, one block per map entry with keys sorted as protobuf's printer sorts them). The output parses
 * back to an equal object with parseModelConfigText.
 */
import { formatFloat, isFloatType, quoteString } from './scalars.js';
import { isMessageType, messageDef, type FieldDef } from './schema.js';
import type { ModelConfig } from './types.js';

type Obj = Record<string, unknown>;
const INDENT = '  ';

function scalarText(field: FieldDef, value: unknown): string {
  if (field.kind === 'enum') return String(value);
  if (field.type === 'string') return quoteString(String(value));
  if (field.type === 'bool') return value ? 'true' : 'false';
  if (isFloatType(field.type)) return formatFloat(Number(value));
  return String(value);
}

function messageLines(typeName: string, obj: Obj, indent: string): string[] {
  const lines: string[] = [];
  for (const field of messageDef(typeName).fields) {
    if (!Object.hasOwn(obj, field.name) || obj[field.name] === undefined) continue;
    lines.push(...fieldLines(field, obj[field.name], indent));
  }
  return lines;
}

/** `name {` ... `}` (or `name {}` when empty). */
function block(head: string, body: string[], indent: string): string[] {
  return body.length === 0 ? [`${indent}${head}{}`] : [`${indent}${head}{`, ...body, `${indent}}`];
}

function fieldLines(field: FieldDef, value: unknown, indent: string): string[] {
  const inner = indent + INDENT;
  if (field.kind === 'map') return mapLines(field, value as Obj, indent);
  if (field.kind === 'message' && field.repeated) {
    const items = value as Obj[];
    if (items.length === 0) return [];
    const out = [`${indent}${field.name} [`];
    items.forEach((item, i) => {
      const body = block('', messageLines(field.type, item, inner + INDENT), inner);
      if (i < items.length - 1) body[body.length - 1] += ',';
      out.push(...body);
    });
    out.push(`${indent}]`);
    return out;
  }
  if (field.kind === 'message') return block(`${field.name} `, messageLines(field.type, value as Obj, inner), indent);
  if (field.repeated) {
    const items = value as unknown[];
    if (items.length === 0) return [];
    return [`${indent}${field.name}: [ ${items.map((v) => scalarText(field, v)).join(', ')} ]`];
  }
  return [`${indent}${field.name}: ${scalarText(field, value)}`];
}

function mapLines(field: FieldDef, entries: Obj, indent: string): string[] {
  const inner = indent + INDENT;
  const keys = Object.keys(entries);
  if (field.key === 'uint64') keys.sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
  else keys.sort();
  const out: string[] = [];
  for (const key of keys) {
    const value = entries[key];
    const keyText = field.key === 'uint64' ? key : quoteString(key);
    const valueLines = isMessageType(field.type)
      ? block('value ', messageLines(field.type, value as Obj, inner + INDENT), inner)
      : [`${inner}value: ${quoteString(String(value))}`];
    out.push(...block(`${field.name} `, [`${inner}key: ${keyText}`, ...valueLines], indent));
  }
  return out;
}

/** Prints a config as config.pbtxt text (ends with a newline; empty config -> empty string). */
export function printModelConfigText(config: ModelConfig): string {
  const lines = messageLines('ModelConfig', config as Obj, '');
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
