/**
 * JSON -> ModelConfig, as Triton's JsonToModelConfig (protobuf JsonStringToMessage with
 * case_insensitive_enum_parsing and ignore_unknown_fields=false) — the repository load API's `config`.
 * Accepts proto names and lowerCamelCase JSON names, enum names in any case or enum numbers, 64-bit (and
 * 32-bit) integers as numbers or decimal strings, floats as numbers or "NaN"/"Infinity"/"-Infinity",
 * `null` as "not set". Errors name the JSON path: `input[0].dims[1]: ...`.
 */
import { ConfigError } from './errors.js';
import { appendRepeated, setMapEntry, setSingular, singularConflict, type Obj } from './message-builder.js';
import { checkInteger, isFloatType, isIntegerType } from './scalars.js';
import { ENUMS, isMessageType, jsonName, messageDef, type FieldDef, type ScalarType } from './schema.js';
import type { ModelConfig } from './types.js';

function fail(path: string, message: string): never {
  throw new ConfigError(path === '' ? message : `${path}: ${message}`);
}

function isPlainObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseInteger(type: ScalarType, v: unknown, path: string): number {
  let big: bigint | undefined;
  if (typeof v === 'number' && Number.isInteger(v)) big = BigInt(v);
  else if (typeof v === 'string' && /^-?[0-9]+$/.test(v.trim())) big = BigInt(v.trim());
  if (big === undefined) fail(path, `invalid value ${JSON.stringify(v)} for type ${type}`);
  const checked = checkInteger(type, big, String(v));
  if (typeof checked !== 'number') fail(path, checked.error);
  return checked;
}

function parseFloatValue(type: string, v: unknown, path: string): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return fail(path, `invalid value ${JSON.stringify(v)} for type ${type}`);
}

function parseScalar(field: FieldDef, v: unknown, path: string): unknown {
  if (field.kind === 'enum') {
    const names = ENUMS[field.type] ?? [];
    if (typeof v === 'string') {
      const found = names.find((n) => n.toUpperCase() === v.toUpperCase());
      if (found !== undefined) return found;
    } else if (typeof v === 'number' && names[v] !== undefined) {
      return names[v];
    }
    return fail(path, `invalid enum value ${JSON.stringify(v)} for enum type ${field.type}`);
  }
  const type = field.type as ScalarType;
  if (type === 'string') {
    if (typeof v !== 'string') fail(path, `expected a string, got ${JSON.stringify(v)}`);
    return v;
  }
  if (type === 'bool') {
    if (typeof v !== 'boolean') fail(path, `expected true or false, got ${JSON.stringify(v)}`);
    return v;
  }
  if (isIntegerType(type)) return parseInteger(type, v, path);
  if (isFloatType(type)) return parseFloatValue(type, v, path);
  return fail(path, `unsupported field type ${type}`);
}

function parseMapKey(field: FieldDef, key: string, path: string): string {
  if (field.key !== 'uint64') return key;
  return String(parseInteger('uint64', key, path));
}

function parseValue(field: FieldDef, v: unknown, path: string): unknown {
  return field.kind === 'message' ? parseMessage(field.type, v, path) : parseScalar(field, v, path);
}

function parseMessage(typeName: string, json: unknown, path: string): Obj {
  if (!isPlainObject(json)) fail(path, `expected an object for ${typeName}, got ${JSON.stringify(json)}`);
  const def = messageDef(typeName);
  const out: Obj = {};
  for (const [key, v] of Object.entries(json)) {
    const field = def.fields.find((f) => f.name === key || jsonName(f.name) === key);
    const at = path === '' ? key : `${path}.${key}`;
    if (field === undefined) fail(path, `unknown field '${key}' in ${typeName}`);
    if (v === null) continue;
    const conflict = singularConflict(out, def, field);
    if (conflict !== undefined) fail(at, conflict);
    if (field.kind === 'map') {
      if (!isPlainObject(v)) fail(at, `expected an object for map field '${field.name}'`);
      for (const [k, item] of Object.entries(v)) {
        const value = isMessageType(field.type)
          ? parseMessage(field.type, item, `${at}.${k}`)
          : parseScalar({ ...field, kind: 'scalar' }, item, `${at}.${k}`);
        setMapEntry(out, field, parseMapKey(field, k, `${at}.${k}`), value);
      }
    } else if (field.repeated) {
      if (!Array.isArray(v)) fail(at, `expected an array for repeated field '${field.name}'`);
      v.forEach((item, i) => appendRepeated(out, field, parseValue(field, item, `${at}[${i}]`)));
    } else if (field.kind === 'message') {
      out[field.name] = parseMessage(field.type, v, at);
    } else {
      setSingular(out, field, parseScalar(field, v, at));
    }
  }
  return out;
}

/**
 * Parses a ModelConfig given as JSON text or as an already-parsed object. Unknown fields are rejected
 * (ConfigError, INVALID_ARG).
 */
export function parseModelConfigJson(json: unknown): ModelConfig {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json) as unknown;
    } catch (err) {
      throw new ConfigError(`failed to parse model configuration JSON: ${(err as Error).message}`);
    }
  }
  return parseMessage('ModelConfig', value, '') as ModelConfig;
}
