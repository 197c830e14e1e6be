/** The live progress line: rewritten in place on a TTY, silent otherwise (logs and pipes stay clean). */

export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

export class Progress {
  readonly #stream: ProgressStream | undefined;
  #shown = false;

  constructor(stream: ProgressStream | undefined) {
    this.#stream = stream;
  }

  update(text: string): void {
    if (this.#stream?.isTTY !== true) return;
    this.#stream.write(`\r\x1b[K${text}`);
    this.#shown = true;
  }

  clear(): void {
    if (!this.#shown) return;
    this.#stream?.write('\r\x1b[K');
    this.#shown = false;
  }
}
