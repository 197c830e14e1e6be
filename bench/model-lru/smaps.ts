// Where a process's resident memory is, from /proc/PID/smaps (debug figures for bench/model-lru/probe.ts):
// file-backed pages by file (ONNX Runtime's library, node itself, other libraries), and anonymous pages by
// the kind of mapping they are in: glibc's main heap ([heap]), glibc's other arenas (a 64 MiB-aligned
// read-write mapping followed by its inaccessible rest, 64 MiB together), thread stacks (read-write right
// above a guard page), and the rest (V8's heap pages, ORT's and glibc's large allocations, which are their own
// mappings once above the mmap threshold).
import { readdirSync, readFileSync } from 'node:fs';

export interface Breakdown {
  rss: number;
  anon: number;
  file: number;
  files: Record<string, number>;
  brkHeap: number;
  arenas: number;
  arenaCount: number;
  stacks: number;
  otherAnon: number;
  otherAnonMappings: number;
  threads: number;
}

interface Mapping { start: number; end: number; perms: string; path: string; rss: number; anon: number }

const ARENA = 64 << 20;

function mappings(pid: number): Mapping[] {
  const out: Mapping[] = [];
  let cur: Mapping | undefined;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head !== null) {
      cur = { start: parseInt(head[1]!, 16), end: parseInt(head[2]!, 16), perms: head[3]!, path: head[4]!, rss: 0, anon: 0 };
      out.push(cur);
      continue;
    }
    const field = /^(Rss|Anonymous):\s+(\d+) kB/.exec(line);
    if (field !== null && cur !== undefined) {
      if (field[1] === 'Rss') cur.rss = Number(field[2]) * 1024;
      else cur.anon = Number(field[2]) * 1024;
    }
  }
  return out;
}

function fileGroup(path: string): string {
  if (/onnxruntime/.test(path)) return 'onnxruntime';
  if (/\/node$/.test(path)) return 'node';
  if (/\.so/.test(path)) return 'other .so';
  return 'other files';
}

export function breakdown(pid: number): Breakdown {
  const maps = mappings(pid);
  const b: Breakdown = {
    rss: 0, anon: 0, file: 0, files: {}, brkHeap: 0, arenas: 0, arenaCount: 0, stacks: 0, otherAnon: 0, otherAnonMappings: 0,
    threads: readdirSync(`/proc/${pid}/task`).length,
  };
  for (let i = 0; i < maps.length; i++) {
    const m = maps[i]!;
    b.rss += m.rss;
    b.anon += m.anon;
    const fileBytes = m.rss - m.anon;
    if (m.path.startsWith('/')) {
      b.file += fileBytes;
      const g = fileGroup(m.path);
      b.files[g] = (b.files[g] ?? 0) + fileBytes;
    }
    if (m.anon === 0) continue;
    const next = maps[i + 1];
    const prev = maps[i - 1];
    if (m.path === '[heap]') b.brkHeap += m.anon;
    else if (m.path === '[stack]') b.stacks += m.anon;
    else if (m.perms.startsWith('rw') && m.start % ARENA === 0 && next !== undefined && next.start === m.end
      && next.perms.startsWith('---') && next.end - m.start === ARENA) {
      b.arenas += m.anon;
      b.arenaCount += 1;
    } else if (m.perms.startsWith('rw') && prev !== undefined && prev.end === m.start && prev.perms.startsWith('---')
      && prev.end - prev.start <= 64 << 10 && m.end - m.start >= 512 << 10 && m.path === '') {
      b.stacks += m.anon;
    } else {
      b.otherAnon += m.anon;
      b.otherAnonMappings += 1;
    }
  }
  return b;
}

export const mib = (n: number): string => (n / (1 << 20)).toFixed(1);

/** One line of the figures, in MiB. */
export function breakdownLine(b: Breakdown): string {
  const files = Object.entries(b.files).sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k} ${mib(v)}`).join(', ');
  return `RSS ${mib(b.rss)} = anon ${mib(b.anon)} [brk heap ${mib(b.brkHeap)}, ${b.arenaCount} arenas ${mib(b.arenas)}, `
    + `stacks ${mib(b.stacks)}, other ${mib(b.otherAnon)} in ${b.otherAnonMappings} mappings] + file ${mib(b.file)} [${files}]; ${b.threads} threads`;
}
