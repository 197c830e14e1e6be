/**
 * Request JSON parsing. The fast path is V8's JSON.parse; a byte-level parser runs instead when it
 * refuses a document, so that errors name rapidjson's reason and byte offset as Triton reports them
 * ("failed to parse the request JSON buffer: Invalid value. at 0"), and so that NaN/Infinity, which
 * Triton accepts (kParseNanAndInfFlag), still parse. Triton reports these as INTERNAL (HTTP 500).
 *
 * The byte-level parser also runs when the text holds a run of 16 or more digits: JSON.parse would
 * round an integer beyond 2^53 to a double, while rapidjson keeps int64/uint64 values exact (INT64/UINT64
 * tensor data, `sequence_id`). It returns such integers as bigint; every other number stays a number.
 */
import { ServerError } from '../../core/index.js';

const MSG = {
  empty: 'The document is empty.',
  root: 'The document root must not be followed by other values.',
  value: 'Invalid value.',
  name: 'Missing a name for object member.',
  colon: 'Missing a colon after a name of object member.',
  objectSep: "Missing a comma or '}' after an object member.",
  arraySep: "Missing a comma or ']' after an array element.",
  hex: 'Incorrect hex digit after \\u escape in string.',
  escape: 'Invalid escape character in string.',
  quote: 'Missing a closing quotation mark in string.',
  encoding: 'Invalid encoding in string.',
  tooBig: 'Number too big to be stored in double.',
  fraction: 'Miss fraction part in number.',
  exponent: 'Miss exponent in number.',
} as const;

class Syntax {
  readonly message: string;
  readonly offset: number;

  constructor(message: string, offset: number) {
    this.message = message;
    this.offset = offset;
  }
}

/**
 * Objects with a repeated member name carry every member, in document order, under this key (not
 * enumerable): rapidjson keeps duplicates, and /generate maps each member, so the second one of an
 * input is refused as Triton refuses it. Only `parseRequestJsonMembers` records them.
 */
const MEMBERS = Symbol('members');

/** The members of a parsed object in document order, duplicates included. */
export function membersOf(obj: Record<string, unknown>): readonly (readonly [string, unknown])[] {
  return (obj as { [MEMBERS]?: [string, unknown][] })[MEMBERS] ?? Object.entries(obj);
}

/** `parseRequestJson` that also records repeated member names (see `membersOf`); always byte-level. */
export function parseRequestJsonMembers(bytes: Uint8Array): unknown {
  return parseBytes(bytes, true);
}

/** Parses request JSON bytes; throws ServerError INTERNAL with Triton's parse-error text. */
export function parseRequestJson(bytes: Uint8Array): unknown {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  // 2^53 has 16 digits: shorter runs can hold no integer that a double would round.
  if (!MAY_HOLD_BIG_INTEGER.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      // Fall through to the byte-level parser for rapidjson's error text.
    }
  }
  return parseBytes(bytes, false);
}

function parseBytes(bytes: Uint8Array, keepDuplicates: boolean): unknown {
  try {
    return new ByteParser(bytes, keepDuplicates).parse();
  } catch (err) {
    if (err instanceof Syntax) {
      throw ServerError.internal(`failed to parse the request JSON buffer: ${err.message} at ${err.offset}`);
    }
    throw err;
  }
}

const MAY_HOLD_BIG_INTEGER = /\d{16}/;

type Frame = { array: unknown[] } | { object: Record<string, unknown>; key: string };

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const SIMPLE_ESCAPES = new Set([...'"\\/bfnrt'].map((c) => c.charCodeAt(0)));
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

/** An iterative (stack-safe) parser following rapidjson's grammar, error kinds and offsets. */
class ByteParser {
  readonly #b: Uint8Array;
  readonly #keepDuplicates: boolean;
  #i = 0;

  constructor(bytes: Uint8Array, keepDuplicates: boolean) {
    this.#b = bytes;
    this.#keepDuplicates = keepDuplicates;
  }

  #put(object: Record<string, unknown>, key: string, value: unknown): void {
    if (this.#keepDuplicates && Object.hasOwn(object, key)) {
      const holder = object as { [MEMBERS]?: [string, unknown][] };
      if (holder[MEMBERS] === undefined) {
        Object.defineProperty(object, MEMBERS, { value: Object.entries(object), enumerable: false });
      }
      holder[MEMBERS]!.push([key, value]);
    } else if (this.#keepDuplicates && (object as { [MEMBERS]?: unknown })[MEMBERS] !== undefined) {
      (object as { [MEMBERS]: [string, unknown][] })[MEMBERS].push([key, value]);
    }
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  }

  parse(): unknown {
    const stack: Frame[] = [];
    this.#ws();
    if (this.#i >= this.#b.length) throw new Syntax(MSG.empty, this.#i);
    for (;;) {
      let value: unknown;
      const c = this.#peek();
      if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
        this.#i += 1;
        this.#ws();
        const close = c === 0x7b ? 0x7d : 0x5d;
        if (this.#peek() !== close) {
          stack.push(c === 0x7b ? { object: {}, key: this.#key() } : { array: [] });
          continue;
        }
        this.#i += 1;
        value = c === 0x7b ? {} : [];
      } else {
        value = this.#scalar();
      }
      // Attach the finished value; close as many containers as end here.
      for (;;) {
        const top = stack[stack.length - 1];
        if (top === undefined) {
          this.#ws();
          if (this.#i < this.#b.length) throw new Syntax(MSG.root, this.#i);
          return value;
        }
        if ('array' in top) top.array.push(value);
        else this.#put(top.object, top.key, value);
        this.#ws();
        const d = this.#peek();
        if (d === 0x2c /* , */) {
          this.#i += 1;
          this.#ws();
          if ('object' in top) top.key = this.#key();
          break;
        }
        if (d === ('array' in top ? 0x5d : 0x7d)) {
          this.#i += 1;
          stack.pop();
          value = 'array' in top ? top.array : top.object;
          continue;
        }
        throw new Syntax('array' in top ? MSG.arraySep : MSG.objectSep, this.#i);
      }
    }
  }

  #peek(): number {
    return this.#i < this.#b.length ? this.#b[this.#i]! : 0;
  }

  #ws(): void {
    while (this.#i < this.#b.length && WS.has(this.#b[this.#i]!)) this.#i += 1;
  }

  #key(): string {
    if (this.#peek() !== 0x22) throw new Syntax(MSG.name, this.#i);
    const key = this.#string();
    this.#ws();
    if (this.#peek() !== 0x3a /* : */) throw new Syntax(MSG.colon, this.#i);
    this.#i += 1;
    this.#ws();
    return key;
  }

  #literal(word: string, value: unknown): unknown {
    for (let k = 0; k < word.length; k++) {
      if (this.#peek() !== word.charCodeAt(k)) throw new Syntax(MSG.value, this.#i);
      this.#i += 1;
    }
    return value;
  }

  #scalar(): unknown {
    const c = this.#peek();
    if (c === 0x22) return this.#string();
    if (c === 0x74) return this.#literal('true', true);
    if (c === 0x66) return this.#literal('false', false);
    if (c === 0x6e) return this.#literal('null', null);
    if (c === 0x4e) return this.#literal('NaN', NaN);
    if (c === 0x49) return this.#literal('Infinity', Infinity);
    if (c === 0x2d || isDigit(c)) return this.#number();
    throw new Syntax(MSG.value, this.#i);
  }

  #digits(): void {
    while (isDigit(this.#peek())) this.#i += 1;
  }

  #number(): number | bigint {
    const start = this.#i;
    let integral = true;
    if (this.#peek() === 0x2d) {
      this.#i += 1;
      if (this.#peek() === 0x49) return -(this.#literal('Infinity', Infinity) as number);
    }
    if (this.#peek() === 0x30) this.#i += 1;
    else if (isDigit(this.#peek())) this.#digits();
    else throw new Syntax(MSG.value, this.#i);
    if (this.#peek() === 0x2e) {
      integral = false;
      this.#i += 1;
      if (!isDigit(this.#peek())) throw new Syntax(MSG.fraction, this.#i);
      this.#digits();
    }
    if (this.#peek() === 0x65 || this.#peek() === 0x45) {
      integral = false;
      this.#i += 1;
      if (this.#peek() === 0x2b || this.#peek() === 0x2d) this.#i += 1;
      if (!isDigit(this.#peek())) throw new Syntax(MSG.exponent, this.#i);
      this.#digits();
    }
    const literal = Buffer.from(this.#b.subarray(start, this.#i)).toString('latin1');
    const v = Number(literal);
    if (!Number.isFinite(v)) throw new Syntax(MSG.tooBig, start);
    // Integers a double cannot hold exactly stay exact (rapidjson parses them as int64/uint64 when they
    // fit; beyond that it keeps a double, which every integer accessor then refuses, as a bigint does).
    if (integral && !Number.isSafeInteger(v)) return BigInt(literal);
    return v;
  }

  #string(): string {
    const start = this.#i;
    this.#i += 1;
    for (;;) {
      if (this.#i >= this.#b.length) throw new Syntax(MSG.quote, this.#i);
      const c = this.#b[this.#i]!;
      if (c === 0x22) break;
      if (c === 0x5c) {
        const escape = this.#i;
        this.#i += 1;
        const e = this.#peek();
        if (SIMPLE_ESCAPES.has(e)) {
          this.#i += 1;
        } else if (e === 0x75) {
          this.#i += 1;
          for (let k = 0; k < 4; k++) {
            if (!isHex(this.#peek())) throw new Syntax(MSG.hex, escape);
            this.#i += 1;
          }
        } else {
          throw new Syntax(MSG.escape, escape);
        }
        continue;
      }
      if (c < 0x20) throw new Syntax(c === 0 ? MSG.quote : MSG.encoding, this.#i);
      this.#i += 1;
    }
    this.#i += 1;
    // The token is valid JSON string syntax now; let V8 decode escapes and UTF-8.
    return JSON.parse(Buffer.from(this.#b.subarray(start, this.#i)).toString('utf8')) as string;
  }
}
