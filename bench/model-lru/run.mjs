#!/usr/bin/env node
// `npm run bench model-lru` entry: runs run.ts through tsx and passes its table through.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./run.ts', import.meta.url));
process.stdout.write(execFileSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 }));
