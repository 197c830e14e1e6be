/**
 * protobuf text format -> ModelConfig, driven by the schema table. Accepts what protobuf's TextFormat
 * parser accepts for config.pbtxt files: `f: v`, `msg { }`, `msg: { }`, `msg < >`, `[a, b]` lists for
 * repeated fields (scalars and messages), repetition, map entries `{ key: .. value: .. }`, enum names or
 * numbers, quoted strings with C escapes and adjacent-literal concatenation, `,`/`;` after fields.
 */
import { ConfigError } from './errors.js';
import { appendRepeated, setMapEntry, setSingular, singularConflict, type Obj } from './message-builder.js';
import {
  checkInteger, isFloatType, isIntegerType, parseFloatLiteral, parseIntegerLiteral,
} from './scalars.js';
import { ENUMS, findField, isMessageType, messageDef, type FieldDef, type MessageDef, type ScalarType } from './schema.js';
import { LexError, tokenize, type Token } from './text-lexer.js';
import type { ModelConfig } from './types.js';

const TRUE_WORDS = new Set(['true', 'True', 't']);
const FALSE_WORDS = new Set(['false', 'False', 'f']);

/** Synthetic `XxxEntry` message of a map field (protobuf models maps as repeated key/value messages). */
function entryDef(owner: MessageDef, field: FieldDef): MessageDef {
  const valueKind = isMessageType(field.type) ? 'message' : 'scalar';
  const entryName = field.name.replace(/(^|_)([a-z])/g, (_, _u: string, c: string) => c.toUpperCase());
  return {
    name: `${owner.name}.${entryName}Entry`,
    fields: [
      { name: 'key', kind: 'scalar', type: field.key ?? 'string', repeated: false },
      { name: 'value', kind: valueKind, type: field.type, repeated: false },
    ],
  };
}

class TextParser {
  readonly #tokens: Token[];
  readonly #file: string;
  #pos = 0;

  constructor(tokens: Token[], file: string) {
    this.#tokens = tokens;
    this.#file = file;
  }

  error(token: Token, message: string): ConfigError {
    return new ConfigError(`${this.#file}:${token.line}:${token.col}: ${message}`);
  }

  peek(): Token {
    return this.#tokens[this.#pos]!;
  }

  next(): Token {
    const t = this.#tokens[this.#pos]!;
    if (t.kind !== 'eof') this.#pos++;
    return t;
  }

  trySymbol(symbol: string): boolean {
    const t = this.peek();
    if (t.kind === 'symbol' && t.text === symbol) {
      this.#pos++;
      return true;
    }
    return false;
  }

  expectSymbol(symbol: string): void {
    const t = this.peek();
    if (!this.trySymbol(symbol)) throw this.error(t, `Expected "${symbol}", found "${t.text}".`);
  }

  /** Fields up to `end` ('' = end of input). */
  parseFields(def: MessageDef, end: string, lookup: (name: string) => FieldDef | undefined): Obj {
    const obj: Obj = {};
    while (true) {
      const t = this.peek();
      if (end === '' ? t.kind === 'eof' : t.kind === 'symbol' && t.text === end) {
        this.next();
        return obj;
      }
      if (t.kind === 'eof') throw this.error(t, `Expected "${end}".`);
      this.parseField(obj, def, lookup);
      if (!this.trySymbol(',')) this.trySymbol(';');
    }
  }

  parseField(obj: Obj, def: MessageDef, lookup: (name: string) => FieldDef | undefined): void {
    const nameToken = this.next();
    if (nameToken.kind !== 'ident') throw this.error(nameToken, `Expected identifier, got: ${nameToken.text}`);
    const field = lookup(nameToken.text);
    if (field === undefined) throw this.error(nameToken, `unknown field '${nameToken.text}' in ${def.name}`);
    const conflict = singularConflict(obj, def, field);
    if (conflict !== undefined) throw this.error(nameToken, conflict);

    const isMessageLike = field.kind === 'message' || field.kind === 'map';
    if (isMessageLike) this.trySymbol(':');
    else if (!this.trySymbol(':')) throw this.error(this.peek(), `Expected ":", found "${this.peek().text}".`);

    const repeatedLike = field.repeated || field.kind === 'map';
    if (repeatedLike && this.trySymbol('[')) {
      if (this.trySymbol(']')) return;
      do this.parseOneValue(obj, def, field);
      while (this.trySymbol(','));
      this.expectSymbol(']');
      return;
    }
    this.parseOneValue(obj, def, field);
  }

  parseOneValue(obj: Obj, def: MessageDef, field: FieldDef): void {
    if (field.kind === 'map') {
      const entry = entryDef(def, field);
      const value = this.parseMessageBody(entry);
      const key = value['key'] ?? (field.key === 'uint64' ? 0 : '');
      const fallback = isMessageType(field.type) ? {} : '';
      setMapEntry(obj, field, String(key), value['value'] ?? fallback);
      return;
    }
    const value = field.kind === 'message' ? this.parseMessageBody(messageDef(field.type)) : this.parseScalar(field);
    if (field.repeated) appendRepeated(obj, field, value);
    else if (field.kind === 'message') obj[field.name] = value;
    else setSingular(obj, field, value);
  }

  parseMessageBody(def: MessageDef): Obj {
    const open = this.peek();
    let end: string;
    if (this.trySymbol('{')) end = '}';
    else if (this.trySymbol('<')) end = '>';
    else throw this.error(open, `Expected "{", found "${open.text}".`);
    const local = new Map(def.fields.map((f) => [f.name, f]));
    return this.parseFields(def, end, (n) => local.get(n));
  }

  parseScalar(field: FieldDef): unknown {
    if (field.kind === 'enum') return this.parseEnum(field);
    const type = field.type as ScalarType;
    if (type === 'string') return this.parseString();
    if (type === 'bool') return this.parseBool(field);
    const negToken = this.peek();
    const negative = this.trySymbol('-');
    const t = this.next();
    if (isIntegerType(type)) {
      const lit = t.kind === 'int' ? parseIntegerLiteral(t.text) : undefined;
      if (negative && type.startsWith('u')) throw this.error(negToken, 'Expected integer, got: -');
      if (lit === undefined) throw this.error(t, `Expected integer, got: ${t.text}`);
      const checked = checkInteger(type, negative ? -lit : lit, `${negative ? '-' : ''}${t.text}`);
      if (typeof checked !== 'number') throw this.error(t, checked.error);
      return checked;
    }
    if (isFloatType(type)) {
      const ok = t.kind === 'int' || t.kind === 'float' || (t.kind === 'ident' && /^(inf|infinity|nan)$/i.test(t.text));
      const v = ok ? parseFloatLiteral(t.text) : undefined;
      if (v === undefined) throw this.error(t, `Expected double, got: ${t.text}`);
      return negative ? -v : v;
    }
    throw this.error(t, `unsupported field type ${type}`);
  }

  parseString(): string {
    const first = this.next();
    if (first.kind !== 'string') throw this.error(first, `Expected string, got: ${first.text}`);
    let value = first.value ?? '';
    while (this.peek().kind === 'string') value += this.next().value ?? '';
    return value;
  }

  parseBool(field: FieldDef): boolean {
    const t = this.next();
    if ((t.kind === 'ident' && TRUE_WORDS.has(t.text)) || (t.kind === 'int' && parseIntegerLiteral(t.text) === 1n)) return true;
    if ((t.kind === 'ident' && FALSE_WORDS.has(t.text)) || (t.kind === 'int' && parseIntegerLiteral(t.text) === 0n)) return false;
    throw this.error(t, `Invalid value for boolean field "${field.name}". Value: "${t.text}".`);
  }

  parseEnum(field: FieldDef): string {
    const names = ENUMS[field.type] ?? [];
    const negative = this.trySymbol('-');
    const t = this.next();
    let name: string | undefined;
    if (t.kind === 'ident' && !negative) name = names.includes(t.text) ? t.text : undefined;
    else if (t.kind === 'int') {
      const n = parseIntegerLiteral(t.text);
      name = n === undefined || negative ? undefined : names[Number(n)];
    } else throw this.error(t, `Expected integer or identifier, got: ${t.text}`);
    if (name === undefined) {
      throw this.error(t, `Unknown enumeration value of "${negative ? '-' : ''}${t.text}" for field "${field.name}".`);
    }
    return name;
  }
}

/**
 * Parses a config.pbtxt. Errors are ConfigError (INVALID_ARG) whose message starts with
 * `<fileName>:<line>:<col>: ` (1-based), e.g. `/m/config.pbtxt:3:7: unknown field 'foo' in ModelInput`.
 */
export function parseModelConfigText(text: string, fileName: string): ModelConfig {
  let tokens: Token[];
  try {
    tokens = tokenize(text);
  } catch (err) {
    if (err instanceof LexError) throw new ConfigError(`${fileName}:${err.line}:${err.col}: ${err.message}`);
    throw err;
  }
  const parser = new TextParser(tokens, fileName);
  const root = messageDef('ModelConfig');
  return parser.parseFields(root, '', (n) => findField(root.name, n)) as ModelConfig;
}
