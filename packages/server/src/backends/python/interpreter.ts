/**
 * Where the Python stub comes from: the interpreter and the stub script folder.
 *
 * Interpreter, first set wins: `--backend-config=python,python-interpreter=<path>`, env `INFERD_PYTHON`,
 * `/usr/bin/python3` when it exists (Debian's, which sees apt's python3-numpy even when a pyenv
 * `python3` comes first on PATH), else `python3` from PATH. It needs numpy.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const INTERPRETER_SETTING = 'python-interpreter';

export function pythonInterpreter(backendConfig: Readonly<Record<string, string>>): string {
  const configured = backendConfig[INTERPRETER_SETTING];
  if (configured !== undefined && configured !== '') return configured;
  const fromEnv = process.env['INFERD_PYTHON'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

/**
 * The folder holding `inferd_stub.py` and `triton_python_backend_utils.py`. tsc does not copy .py files,
 * so compiled code (dist/backends/python/) finds them in the package's src/ folder, which
 * package.json "files" ships for that reason.
 */
export function stubDirectory(): string {
  const here = fileURLToPath(new URL('./stub/', import.meta.url));
  if (existsSync(join(here, 'inferd_stub.py'))) return here;
  return fileURLToPath(new URL('../../../src/backends/python/stub/', import.meta.url));
}
