/** The `inferd` command (entered through main.ts). `inferd serve --model-repository DIR` (or just `inferd --model-repository DIR`). */
import { Command, CommanderError, Help } from 'commander';
import { Logger } from '../observability/log.js';
import { INFERD_VERSION } from '../core/release.js';
import { addServeFlags, toServeSettings, type FlagValues } from './options.js';
import { serve } from './serve.js';

/** Exit status for usage errors (unknown flag, bad value), as getopt-based tools use. */
const USAGE_ERROR = 2;

async function runServe(values: FlagValues): Promise<void> {
  let settings;
  try {
    settings = toServeSettings(values);
  } catch (err) {
    process.stderr.write(`inferd: error: ${(err as Error).message}\n`);
    process.exit(USAGE_ERROR);
  }
  const logger = new Logger(settings.log);
  // Node's own warnings (a library's deprecation notice, e.g. the AWS SDK's) become log records in the
  // chosen format instead of free text on stderr, which would break --log-format=json's one object a line.
  process.removeAllListeners('warning');
  process.on('warning', (w) => logger.warning('node', w.message.replace(/\s*\n\s*/g, ' '), { warning: w.name }));
  // Triton prints these bare; with --log-format=json they are log records, so every line stays one object.
  for (const warning of settings.deprecationWarnings ?? []) {
    if (settings.log.format === 'json') logger.warning('server', warning);
    else process.stderr.write(`${warning}\n`);
  }
  let running;
  try {
    running = await serve(settings, logger);
  } catch (err) {
    logger.error('server', (err as Error).message);
    process.exit(1);
  }
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) process.exit(1);
    logger.info('server', `received ${signal}, shutting down`, { signal });
    // Triton exits with 1 when --exit-timeout-secs passes with requests still in flight.
    void running.stop().then((clean) => process.exit(clean ? 0 : 1));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

const program = new Command('inferd')
  .description('A Triton-compatible inference server for Node.js (KServe v2 HTTP, ONNX Runtime, custom backends)')
  .version(`inferd ${INFERD_VERSION}`, '-V, --version', 'print the inferd version and exit')
  .exitOverride()
  .showHelpAfterError('(run inferd --help for the list of flags)');

const serveCommand = addServeFlags(
  program
    .command('serve', { isDefault: true })
    .description('Serve the models of one or more Triton model repositories (tritonserver flag names)')
    .exitOverride(),
).action(async (values: FlagValues) => runServe(values));

// `serve` is the default command, so `inferd --help` also lists its flags (as `tritonserver --help` lists all of
// them) instead of only naming the command. Set after `serve` exists: subcommands copy the help settings.
program.configureHelp({
  formatHelp: (cmd, helper) =>
    `${new Help().formatHelp(cmd, helper)}\n${serveCommand.helpInformation()}`,
});

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exit(err.exitCode === 0 ? 0 : USAGE_ERROR);
  }
  throw err;
}
