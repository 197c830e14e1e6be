// Pieces every bench/*/run.mjs shares: env-driven narrowing, medians over alternating rounds, and
// starting a server process that prints its port as its first stdout line.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** A comma list from the environment (for quick partial runs), else the full default list. */
export const list = (name, all) => (process.env[name] ? process.env[name].split(',') : all);

/** The load result with the median req/s over rounds. */
export function median(results) {
  const sorted = [...results].sort((a, b) => a.rps - b.rps);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Median over rounds of the server's CPU µs per answered request (NaN without /proc). */
export function medianCpu(results) {
  const per = results.map((r) => (r.serverCpuUs === undefined || r.requests === 0 ? NaN : r.serverCpuUs / r.requests));
  per.sort((a, b) => a - b);
  return per[Math.floor(per.length / 2)];
}

/**
 * Spawns `node ...args` from the repository root and resolves with `{ child, port }` once the child
 * prints its port. An exit not requested through `stopServer` is reported and rejects.
 */
export function startServer(args) {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve({ child, port: Number(out.split('\n')[0]) });
    });
    child.on('exit', (code, signal) => {
      if (child.killedOnPurpose) return;
      const err = new Error(`server ${args.join(' ')} exited (code ${code}, signal ${signal})`);
      console.error(err.message);
      reject(err);
    });
  });
}

export function stopServer(server) {
  server.child.killedOnPurpose = true;
  server.child.kill();
}
