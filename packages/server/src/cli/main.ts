#!/usr/bin/env node
/**
 * The `inferd` command's entry. It sets V8's heap flags for a memory-bounded server first, then loads the
 * program (program.ts): V8 applies such flags fully only when they are set before the code that makes the
 * heap is loaded (measured: peak RSS 141 MiB set here or in a preload, 153-155 MiB set once the program had
 * loaded, 157-163 without; bench/RESULTS.md, model-lru).
 */
import { boundedByArgv, tuneHeapForMemoryBound } from './memory-bounded-heap.js';

try {
  tuneHeapForMemoryBound(boundedByArgv(process.argv.slice(2)));
} catch (err) {
  // A bad INFERD_V8_MEMORY_FLAGS is a usage error: the same text and status (2) as program.ts gives a bad flag
  // (not imported from there: loading program.ts here would defeat setting the flags first).
  process.stderr.write(`inferd: error: ${(err as Error).message}\n`);
  process.exit(2);
}
await import('./program.js');
