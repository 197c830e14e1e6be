/**
 * inferd's own version, read from this package's package.json (../../package.json from both src/core/ and
 * dist/core/), so a release needs one edit. Not SERVER_VERSION: that is the Triton version clients are told.
 */
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export const INFERD_VERSION: string = pkg.version;
