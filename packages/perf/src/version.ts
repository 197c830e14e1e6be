/** inferd-perf's version, read from this package's package.json (../package.json from both src/ and dist/). */
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

export const PERF_VERSION: string = pkg.version;
