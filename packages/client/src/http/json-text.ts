/**
 * JSON text with pieces that JSON.stringify cannot write exactly: bigints (64-bit ids and parameters)
 * and tensor `data` arrays already rendered as text. Such values are put in as placeholders and the
 * placeholders replaced in the output.
 */

const TOKEN = '\u001finferd-raw-';

export class RawJson {
  readonly #pieces: string[] = [];

  /** A placeholder for `text`, to put in the object given to `stringify`. */
  raw(text: string): string {
    this.#pieces.push(text);
    return `${TOKEN}${this.#pieces.length - 1}`;
  }

  stringify(value: unknown): string {
    const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? this.raw(v.toString()) : v));
    // JSON.stringify escapes the U+001F of the token as \u001f inside strings.
    return text.replace(/"\\u001finferd-raw-(\d+)"/g, (_m, i: string) => this.#pieces[Number(i)]!);
  }
}
