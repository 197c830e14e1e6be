#!/usr/bin/env node
// The Node entry of the `inferd` bin (bin/inferd, a shell launcher, sets malloc tunables and execs this): kept as a
// committed file because npm links workspace bins before `prepare` builds dist/ and skips a bin whose file does not
// exist yet (then `npx inferd` would look for a package in the public registry).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('inferd: not built yet (dist/cli/main.js is missing); run `npm run build` in the inferd checkout\n');
  process.exit(1);
}
await import(cli.href);
