#!/usr/bin/env node
// The `tritonserver` alias bin (see src/cli/tritonserver.ts): same committed-launcher reason as bin/inferd.js.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli/tritonserver.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('tritonserver (inferd): not built yet (dist/cli/tritonserver.js is missing); run `npm run build`\n');
  process.exit(1);
}
await import(cli.href);
