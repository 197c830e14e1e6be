#!/usr/bin/env node
// bench/python-shm-receive: the Python stub's receive step for a large body, before (pread into a zero-filled
// bytearray) vs now (the mapped file wrapped in place), interleaved in one process (receive.py). Needs
// /usr/bin/python3 with numpy (or INFERD_PYTHON).
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const python = process.env.INFERD_PYTHON || '/usr/bin/python3';
const stubDir = here('../../packages/server/src/backends/python/stub/');
process.stdout.write('Receive + one pass over the data, median µs.\n\n| body | pread into bytearray (before) | mapped (now) | now / before | runs |\n|---|---|---|---|---|\n');
process.stdout.write(execFileSync(python, [here('./receive.py'), stubDir, '65536,4194304,16777216', '200'], { encoding: 'utf8' }));
process.stdout.write(`\nLoad average during the run: ${loadavg().map((l) => l.toFixed(1)).join(', ')}.\n`);
