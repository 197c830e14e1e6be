#!/usr/bin/env node
// Builds the web console (packages/console) into packages/server/dist/console with Vite. Run by the root
// `build` and by the inferd package's `prepack`. Vite is a dev dependency: after `npm ci --omit=dev` it is
// absent, and the build goes on without the console (`/console` then answers 404 "the web console is not built").
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// vite's package exports do not list its bin: look for the file where npm installs it in this workspace.
const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
if (!existsSync(vite)) {
  console.error('console: vite is not installed (npm ci --omit=dev?): the web console is not built');
  process.exit(0);
}
const res = spawnSync(process.execPath, [vite, 'build', 'packages/console', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
process.exit(res.status ?? 1);
