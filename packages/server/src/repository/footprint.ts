/**
 * How much memory a loaded model is estimated to hold, for `--model-memory-budget` (lru-budget.ts):
 * the larger of the bytes of its files on disk (a lower bound for weights that are read into memory)
 * and the growth of the process's resident set over its load. RSS is per process, so the growth is
 * only trusted for a load that ran alone: when another load started or was running meanwhile, the
 * figure would mix both, and the file size stands.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Bytes of every regular file under `dir` (links are followed; unreadable entries count 0). */
export function directoryBytes(dir: string): number {
  let total = 0;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(dir, entry);
    try {
      const st = statSync(path);
      if (st.isDirectory()) total += directoryBytes(path);
      else if (st.isFile()) total += st.size;
    } catch {
      // a file removed while we look: it no longer costs anything
    }
  }
  return total;
}

export class LoadFootprint {
  #running = 0;
  #started = 0;

  /** Marks a load's start; the returned function, called at its end, gives the RSS growth or undefined. */
  begin(): () => number | undefined {
    const alone = this.#running === 0;
    const ticket = ++this.#started;
    this.#running += 1;
    const before = process.memoryUsage.rss();
    return () => {
      this.#running -= 1;
      if (!alone || this.#started !== ticket) return undefined;
      return Math.max(0, process.memoryUsage.rss() - before);
    };
  }
}
