/**
 * Runs a scheduler's "start what can start" step without re-entering it: a call made while the step is
 * running (a cancel while a batch is built, a backend answering inside `execute`) only asks for one more
 * round once the current one ends.
 */
export class Pump {
  readonly #step: () => void;
  #running = false;
  #again = false;

  constructor(step: () => void) {
    this.#step = step;
  }

  run(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    try {
      do {
        this.#again = false;
        this.#step();
      } while (this.#again);
    } finally {
      this.#running = false;
    }
  }
}
