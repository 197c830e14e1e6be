#!/usr/bin/env node
// bench/python-backend: round trip of a 16-float and a 4 MB tensor through an identity model.py vs the
// built-in JS identity backend and the ONNX identity model, in one process (see measure.ts). Needs
// /usr/bin/python3 with numpy (or INFERD_PYTHON).
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const out = execFileSync(process.execPath, ['--import', 'tsx', here('./measure.ts')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
process.stdout.write(out);
process.stdout.write(`\nLoad average during the run: ${loadavg().map((l) => l.toFixed(1)).join(', ')}.\n`);
