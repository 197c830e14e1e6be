// bench/gpu/tmpfs-write.mjs: how fast a 38 MB batch body goes into /dev/shm: one file written by the main thread, by one
// or 4 parallel libuv-pool pwritevs, and 4 (or 2) files written in parallel. Writes into one tmpfs file hold its inode
// lock, so ranges of one file take turns; separate files do not. Usage: node tmpfs-write.mjs
import { openSync, writev, writevSync, closeSync, unlinkSync, ftruncateSync } from 'node:fs';
const N = 38 * 2 ** 20, parts = 4, part = N / parts;
const src = Buffer.alloc(N, 7);
const files = Array.from({ length: parts }, (_, i) => { const p = `/dev/shm/tmpfs-probe-${process.pid}-${i}`; const fd = openSync(p, 'w+'); ftruncateSync(fd, N); return { p, fd }; });
const pw = (fd, buf, at) => new Promise((res, rej) => writev(fd, [buf], at, (e) => (e ? rej(e) : res())));
async function time(label, f) {
  for (let i = 0; i < 3; i++) await f(); // warm: pages allocated
  const t0 = performance.now(); const R = 20;
  for (let i = 0; i < R; i++) await f();
  const ms = (performance.now() - t0) / R;
  console.log(`${label}: ${ms.toFixed(2)} ms, ${(N / ms / 1e6).toFixed(1)} GB/s`);
}
await time('one file, main thread writevSync', async () => { writevSync(files[0].fd, [src], 0); });
await time('one file, 1 pool write', () => pw(files[0].fd, src, 0));
await time('one file, 4 parallel ranges', () => Promise.all(Array.from({ length: parts }, (_, i) => pw(files[0].fd, src.subarray(i * part, (i + 1) * part), i * part))));
await time('4 files, 4 parallel writes', () => Promise.all(files.map((f, i) => pw(f.fd, src.subarray(i * part, (i + 1) * part), 0))));
await time("2 files, 2 parallel writes", () => Promise.all(files.slice(0, 2).map((f, i) => pw(f.fd, src.subarray(i * N / 2, (i + 1) * N / 2), 0))));
for (const f of files) { closeSync(f.fd); unlinkSync(f.p); }
