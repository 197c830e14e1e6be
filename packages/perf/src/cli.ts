#!/usr/bin/env node
/** The `inferd-perf` command: perf_analyzer's flags against inferd (or any KServe v2 / Triton server). */
import { Command, CommanderError } from 'commander';
import { addPerfFlags, toPerfOptions, toSweepOptions, type FlagValues } from './cli-options.js';
import { runPerf } from './run.js';
import { runSweep } from './sweep.js';
import { PERF_VERSION } from './version.js';

/** Exit status for usage errors, as getopt-based tools use. */
const USAGE_ERROR = 2;

async function main(values: FlagValues): Promise<void> {
  let options;
  let sweep;
  try {
    options = toPerfOptions(values);
    sweep = toSweepOptions(values);
  } catch (err) {
    process.stderr.write(`inferd-perf: error: ${(err as Error).message}\n`);
    process.exit(USAGE_ERROR);
  }
  const io = { out: process.stdout, progress: process.stderr };
  try {
    if (sweep !== undefined) {
      const result = await runSweep(options, sweep, io);
      process.exitCode = result.best === undefined ? 1 : 0;
    } else {
      const run = await runPerf(options, io);
      // As perf_analyzer: a level that never stabilized makes the run fail, figures are still printed.
      process.exitCode = run.results.every((r) => r.stable) ? 0 : 1;
    }
  } catch (err) {
    process.stderr.write(`inferd-perf: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}

const program = addPerfFlags(
  new Command('inferd-perf')
    .description('Measures throughput and latency of a model, like perf_analyzer (in-process, HTTP or gRPC)')
    .version(`inferd-perf ${PERF_VERSION}`, '-V, --version', 'print the inferd-perf version and exit')
    .exitOverride()
    .showHelpAfterError('(run inferd-perf --help for the list of flags)'),
).action(async (values: FlagValues) => main(values));

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : USAGE_ERROR);
  throw err;
}
// Loaded models keep worker threads; the run is over once main returned.
process.exit(process.exitCode ?? 0);
