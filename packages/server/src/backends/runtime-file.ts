/**
 * The config's `runtime` field (Triton's GetBackendLibraryProperties): the file inside
 * `<backend-directory>/<backend>/` that implements the backend, instead of the default entry.
 * - `libtriton_<backend>.so` (what Triton writes into configs it exports) names the default.
 * - `model.py` makes a Python-based backend: that file is the model code the python backend runs.
 * - anything else is a JS module file of a plug-in backend.
 * The file must exist and stay inside the backend's folder (no `..`, no absolute path, no symlink
 * out): a config must not make the server import code from elsewhere. Messages are Triton's.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { ServerError } from '../core/index.js';

export const PYTHON_RUNTIME = 'model.py';

export function defaultRuntimeName(backend: string): string {
  return `libtriton_${backend}.so`;
}

export type RuntimeChoice =
  | { readonly kind: 'default' }
  | { readonly kind: 'python-based'; readonly file: string }
  | { readonly kind: 'module'; readonly file: string };

/** What `runtime` asks for; `dir` is `<backend-directory>/<backend>` (undefined: no backend directory). */
export function chooseRuntime(runtime: string, backend: string, dir: string | undefined, modelName: string): RuntimeChoice {
  if (runtime === '' || runtime === defaultRuntimeName(backend)) return { kind: 'default' };
  if (runtime === PYTHON_RUNTIME) {
    const path = dir === undefined ? PYTHON_RUNTIME : join(dir, PYTHON_RUNTIME);
    if (dir === undefined || !isRegularFile(path)) {
      throw ServerError.invalidArg(
        `unable to find Python backend based backend library '${runtime}' for model '${modelName}', searched: '${path}'`,
      );
    }
    return { kind: 'python-based', file: checkInside(path, dir, runtime, modelName) };
  }
  const path = dir === undefined || isAbsolute(runtime) ? runtime : join(dir, runtime);
  if (dir === undefined || !isRegularFile(path)) {
    throw ServerError.invalidArg(
      `unable to find backend library '${runtime}' for model '${modelName}', searched: '${dir ?? '(no backend directory)'}' `,
    );
  }
  return { kind: 'module', file: checkInside(path, dir, runtime, modelName) };
}

function isRegularFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

/** `path` with symlinks resolved, refused unless it lies under `dir` (also resolved). */
function checkInside(path: string, dir: string, runtime: string, modelName: string): string {
  const real = realpathSync(path);
  const rel = relative(realpathSync(dir), real);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw ServerError.invalidArg(
      `backend library name '${runtime}' escapes backend directory '${dir}', for model '${modelName}', check model config runtime field`,
    );
  }
  return real;
}
