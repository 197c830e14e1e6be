// How a bench starts the server as a user's `inferd` does: through bin/malloc-tuning.sh (the settings
// bin/inferd applies before Node starts), then Node on the given entry. Any build's main.js runs under this
// checkout's tuning, so a before/after compares code, not allocator settings. BENCH_MALLOC_TUNING=off runs
// with glibc's defaults (as `INFERD_MALLOC_TUNING=off inferd ...` would).
import { fileURLToPath } from 'node:url';

const tuning = fileURLToPath(new URL('../../packages/server/bin/malloc-tuning.sh', import.meta.url));

/** [command, argv, env] for spawning `node <entry> ...args` behind the launcher's malloc tuning. */
export function cliCommand(entry, args, nodeArgs = []) {
  const script = '. "$0"; inferd_malloc_tuning "$@"; exec "$INFERD_BENCH_NODE" $INFERD_BENCH_NODE_ARGS "$INFERD_BENCH_ENTRY" "$@"';
  const env = {
    ...process.env, INFERD_BENCH_NODE: process.execPath, INFERD_BENCH_ENTRY: entry,
    // BENCH_SERVER_NODE_ARGS: node flags for the server only (e.g. a --require preload in an A/B).
    INFERD_BENCH_NODE_ARGS: [...nodeArgs, ...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '')].join(' '),
    ...(process.env.BENCH_MALLOC_TUNING === 'off' ? { INFERD_MALLOC_TUNING: 'off' } : {}),
    // BENCH_SERVER_GLIBC_TUNABLES: the server's tunables only (an A/B of profiles; the bench process keeps its own).
    ...(process.env.BENCH_SERVER_GLIBC_TUNABLES !== undefined ? { GLIBC_TUNABLES: process.env.BENCH_SERVER_GLIBC_TUNABLES } : {}),
  };
  return ['/bin/sh', ['-c', script, tuning, ...args], env];
}
