// Pieces every bench/*/run.mjs shares: env-driven narrowing, medians over alternating rounds, and
// starting a server process that prints its port as its first stdout line.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cliCommand } from './cli-command.mjs';

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

/**
 * Spawns the built CLI (`packages/server/dist/cli/main.js`, from `npm run build`) with `args` after
 * `serve`, and resolves with `{ child, port }` once it logs "Started HTTPService at ADDRESS:PORT" (pass
 * `--http-port 0` for an ephemeral port). Without a build it runs the sources through tsx and says so.
 * Stops with `stopServer`.
 */
export function startCli(args) {
  // BENCH_CLI: another build's main.js (e.g. a copy of the old dist for a before/after in one run).
  const built = process.env.BENCH_CLI ?? fileURLToPath(new URL('../../packages/server/dist/cli/main.js', import.meta.url));
  const sources = fileURLToPath(new URL('../../packages/server/src/cli/main.ts', import.meta.url));
  const useBuilt = existsSync(built);
  if (!useBuilt) console.error(`bench: ${built} not found (npm run build); running the CLI from sources through tsx`);
  const [command, argv, env] = useBuilt ? cliCommand(built, ['serve', ...args]) : cliCommand(sources, ['serve', ...args], ['--import', 'tsx']);
  const child = spawn(command, argv, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let log = '';
    const onData = (d) => {
      log += d;
      const m = /Started HTTPService at [^:\s]+:(\d+)/.exec(log);
      // With --grpc-port, also wait for (and return) the gRPC port.
      const g = /Started GRPCInferenceService at [^:\s]+:(\d+)/.exec(log);
      if (m && (g || !args.includes('--grpc-port'))) {
        child.stdout.off('data', onData);
        child.stderr.off('data', onData);
        // Keep draining the pipes so a chatty server never blocks on a full pipe.
        child.stdout.resume();
        child.stderr.resume();
        resolve({ child, port: Number(m[1]), ...(g ? { grpcPort: Number(g[1]) } : {}) });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code, signal) => {
      if (child.killedOnPurpose) return;
      const err = new Error(`inferd serve ${args.join(' ')} exited (code ${code}, signal ${signal}):\n${log}`);
      console.error(err.message);
      reject(err);
    });
  });
}
