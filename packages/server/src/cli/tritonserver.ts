#!/usr/bin/env node
/**
 * `tritonserver`: inferd under Triton's command name, for images and manifests written for Triton
 * (KServe's ServingRuntime runs `tritonserver --model-store=/mnt/models --grpc-port=9000 ...`). The
 * arguments are rewritten (triton-argv.ts) and handed to the `inferd serve` command line.
 */
import { rewriteTritonArgs } from './triton-argv.js';

const { args, warnings } = rewriteTritonArgs(process.argv.slice(2));
for (const w of warnings) process.stderr.write(`${w}\n`);
// `--version`/`--help` stay global flags of inferd; everything else goes to `serve`.
const passThrough = args.length === 1 && ['--help', '-h', '--version', '-V'].includes(args[0]!);
process.argv = [process.argv[0]!, process.argv[1]!, ...(passThrough ? args : ['serve', ...args])];
await import('./main.js');
