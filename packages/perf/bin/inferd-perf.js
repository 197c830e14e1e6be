#!/usr/bin/env node
// The `inferd-perf` bin: a committed launcher, because npm links workspace bins before `prepare` builds dist/ and
// skips a bin whose file does not exist yet (then `npx inferd-perf` would look for a package in the public registry).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('inferd-perf: not built yet (dist/cli.js is missing); run `npm run build` in the inferd checkout\n');
  process.exit(1);
}
await import(cli.href);
