// The measuring half of the bench load clients: `concurrency` closed loops each calling `send()` again
// as soon as the previous call settles, counted for `durationMs` after `warmupMs`, plus the server
// process's CPU time over the measured window (`serverCpuUs`, from /proc/<pid>/stat) and the load
// client's own (`clientCpuUs`: on a small machine a client that burns more CPU takes cores from the server). `send` resolves
// to undefined on success or to an error description.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** utime + stime of a whole process (every thread), in µs; undefined without /proc. */
function processCpuUs(pid) {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may hold spaces); utime and stime are fields
    // 14 and 15 of the line, i.e. 12 and 13 after the ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) * TICK_US;
  } catch {
    return undefined;
  }
}

/** Runs the loops and returns the JSON line's fields: requests, errors, seconds, rps, p50us, p99us, ... */
export async function closedLoop({ send, concurrency, warmupMs = 1000, durationMs = 3000, serverPid }) {
  let counting = false;
  let stop = false;
  let done = 0;
  let errors = 0;
  let firstError;
  const latencies = [];
  const loop = async () => {
    while (!stop) {
      const t0 = process.hrtime.bigint();
      const error = await send();
      if (!counting) continue;
      if (error === undefined) {
        done += 1;
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e3);
      } else {
        errors += 1;
        firstError ??= error;
      }
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  await new Promise((r) => setTimeout(r, warmupMs));
  const cpuStart = processCpuUs(serverPid);
  const ownStart = process.cpuUsage();
  counting = true;
  const start = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, durationMs));
  counting = false;
  const cpuEnd = processCpuUs(serverPid);
  const own = process.cpuUsage(ownStart);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  stop = true;
  await Promise.all(loops);
  latencies.sort((a, b) => a - b);
  const p = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    requests: done, errors, seconds, rps: done / seconds, p50us: p(0.5), p99us: p(0.99),
    clientCpuUs: own.user + own.system,
    ...(firstError === undefined ? {} : { firstError }),
    ...(cpuStart === undefined || cpuEnd === undefined ? {} : { serverCpuUs: cpuEnd - cpuStart }),
  };
}
