// Debug-only probe for bench/model-lru/probe.ts, never loaded by the server on its own: preloaded into every
// thread of the server under test with NODE_OPTIONS=--require (worker threads inherit it), it writes that
// thread's V8 heap figures to $INFERD_HEAP_PROBE_DIR/<pid>-<threadId>.json every 200 ms, with the largest
// seen, so the bench can split the process's anonymous memory into V8 heaps and the rest (native).
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const v8 = require('node:v8');
const { threadId } = require('node:worker_threads');

const dir = process.env.INFERD_HEAP_PROBE_DIR;
if (dir) {
  const file = join(dir, `${process.pid}-${threadId}.json`);
  const peak = { physical: 0, total: 0, used: 0, external: 0 };
  let gcDone = false;
  const sample = () => {
    // probe.ts asks for one full GC (cycle mode, NODE_OPTIONS=--expose-gc) by creating <dir>/gc: live vs garbage.
    if (!gcDone && typeof globalThis.gc === 'function' && require('node:fs').existsSync(join(dir, 'gc'))) {
      gcDone = true;
      globalThis.gc();
    }
    const h = v8.getHeapStatistics();
    const spaces = {};
    for (const s of v8.getHeapSpaceStatistics()) spaces[s.space_name] = s.physical_space_size;
    peak.physical = Math.max(peak.physical, h.total_physical_size);
    peak.total = Math.max(peak.total, h.total_heap_size);
    peak.used = Math.max(peak.used, h.used_heap_size);
    peak.external = Math.max(peak.external, h.external_memory);
    const now = { physical: h.total_physical_size, total: h.total_heap_size, used: h.used_heap_size, external: h.external_memory, malloced: h.malloced_memory, spaces };
    try {
      writeFileSync(file, JSON.stringify({ threadId, at: Date.now(), now, peak }));
    } catch {
      // the bench removed the folder: it is done
    }
  };
  sample();
  setInterval(sample, 200).unref();
}
