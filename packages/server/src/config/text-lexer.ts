/**
 * Tokenizer for protobuf text format (the language of config.pbtxt). Tracks 1-based line and column of
 * every token so errors can point at the offending spot, as `protoc` does.
 */

export type TokenKind = 'ident' | 'int' | 'float' | 'string' | 'symbol' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** Source text of the token (for strings: including quotes). */
  readonly text: string;
  /** Strings only: the decoded value. */
  readonly value?: string;
  readonly line: number;
  readonly col: number;
}

export class LexError extends Error {
  readonly line: number;
  readonly col: number;

  constructor(message: string, line: number, col: number) {
    super(message);
    this.line = line;
    this.col = col;
  }
}

const SYMBOLS = new Set(['{', '}', '<', '>', '[', ']', ':', ',', ';', '-']);
const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  n: 0x0a, t: 0x09, r: 0x0d, a: 0x07, b: 0x08, f: 0x0c, v: 0x0b, '\\': 0x5c, "'": 0x27, '"': 0x22, '?': 0x3f,
};
const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: false });

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '\n') {
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\f' || ch === '\v') {
      i++;
      continue;
    }
    if (ch === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    const col = i - lineStart + 1;
    const start = i;
    if (/[A-Za-z_]/.test(ch)) {
      while (i < text.length && /[A-Za-z0-9_]/.test(text[i]!)) i++;
      tokens.push({ kind: 'ident', text: text.slice(start, i), line, col });
    } else if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(text[i + 1] ?? ''))) {
      i = scanNumber(text, i);
      const t = text.slice(start, i);
      const isFloat = !/^0[xX]/.test(t) && /[.eEfF]/.test(t);
      tokens.push({ kind: isFloat ? 'float' : 'int', text: t, line, col });
    } else if (ch === '"' || ch === "'") {
      const { end, value } = scanString(text, i, line, col);
      i = end;
      tokens.push({ kind: 'string', text: text.slice(start, i), value, line, col });
    } else if (SYMBOLS.has(ch)) {
      i++;
      tokens.push({ kind: 'symbol', text: ch, line, col });
    } else {
      throw new LexError(`Invalid character '${ch}'`, line, col);
    }
  }
  tokens.push({ kind: 'eof', text: '', line, col: i - lineStart + 1 });
  return tokens;
}

function scanNumber(text: string, start: number): number {
  let i = start;
  if (/^0[xX]/.test(text.slice(i, i + 2))) {
    i += 2;
    while (i < text.length && /[0-9a-fA-F]/.test(text[i]!)) i++;
    return i;
  }
  while (i < text.length && /[0-9]/.test(text[i]!)) i++;
  if (text[i] === '.') {
    i++;
    while (i < text.length && /[0-9]/.test(text[i]!)) i++;
  }
  if (/[eE]/.test(text[i] ?? '') && /[-+0-9]/.test(text[i + 1] ?? '')) {
    i += 2;
    while (i < text.length && /[0-9]/.test(text[i]!)) i++;
  }
  if (/[fF]/.test(text[i] ?? '')) i++;
  // A number glued to letters (`12abc`) is malformed; let the parser report the whole run.
  while (i < text.length && /[A-Za-z0-9_]/.test(text[i]!)) i++;
  return i;
}

/** Decodes a quoted literal to bytes (escapes are byte-level, as in C), then reads the bytes as UTF-8. */
function scanString(text: string, start: number, line: number, col: number): { end: number; value: string } {
  const quote = text[start]!;
  const bytes: number[] = [];
  let i = start + 1;
  while (true) {
    const ch = text[i];
    if (ch === undefined || ch === '\n') throw new LexError('Unexpected end of string.', line, col);
    if (ch === quote) return { end: i + 1, value: utf8Decoder.decode(Uint8Array.from(bytes)) };
    if (ch !== '\\') {
      const cp = text.codePointAt(i)!;
      const s = String.fromCodePoint(cp);
      for (const b of utf8.encode(s)) bytes.push(b);
      i += s.length;
      continue;
    }
    const esc = text[i + 1] ?? '';
    const simple = SIMPLE_ESCAPES[esc];
    if (simple !== undefined) {
      bytes.push(simple);
      i += 2;
    } else if (/[0-7]/.test(esc)) {
      const m = /^[0-7]{1,3}/.exec(text.slice(i + 1))![0];
      bytes.push(parseInt(m, 8) & 0xff);
      i += 1 + m.length;
    } else if (esc === 'x' || esc === 'X') {
      const m = /^[0-9a-fA-F]{1,2}/.exec(text.slice(i + 2))?.[0];
      if (m === undefined) throw new LexError('Invalid escape sequence in string literal.', line, col);
      bytes.push(parseInt(m, 16));
      i += 2 + m.length;
    } else if (esc === 'u' || esc === 'U') {
      const len = esc === 'u' ? 4 : 8;
      const hex = text.slice(i + 2, i + 2 + len);
      const cp = /^[0-9a-fA-F]+$/.test(hex) && hex.length === len ? parseInt(hex, 16) : NaN;
      if (!(cp <= 0x10ffff)) throw new LexError('Invalid escape sequence in string literal.', line, col);
      for (const b of utf8.encode(String.fromCodePoint(cp))) bytes.push(b);
      i += 2 + len;
    } else {
      throw new LexError('Invalid escape sequence in string literal.', line, col);
    }
  }
}
