/**
 * Backends by name: built-ins first (lazily imported, so onnxruntime-node loads only when a model
 * needs it), then `<backend-directory>/<name>/`, a JS module exporting the Backend contract. This is
 * the seam for board runtimes (RKNN, TNN, TensorRT) that inferd does not ship.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ServerError } from '../core/index.js';
import type { Backend } from './contract.js';
import { chooseRuntime, PYTHON_RUNTIME } from './runtime-file.js';

const BUILT_INS: Readonly<Record<string, () => Promise<unknown>>> = {
  onnxruntime: () => import('./onnxruntime/index.js'),
  identity: () => import('./identity/index.js'),
  repeat: () => import('./repeat/index.js'),
  python: () => import('./python/index.js'),
  pytorch: () => import('./pytorch/index.js'),
};

/** File names tried, in order, inside `<backend-directory>/<name>/`. */
const ENTRY_CANDIDATES = ['index.js', 'index.mjs', 'backend.js', 'backend.mjs'];

export class BackendRegistry {
  readonly #directory: string | undefined;
  readonly #cache = new Map<string, Promise<Backend>>();

  constructor(options: { backendDirectory?: string } = {}) {
    this.#directory = options.backendDirectory;
  }

  /**
   * The backend called `name`; rejects with INVALID_ARG when none exists or it is malformed.
   * `runtime` is the model config's field (see runtime-file.ts); `modelName` is for its messages.
   */
  resolve(name: string, options: { runtime?: string; modelName?: string } = {}): Promise<Backend> {
    const runtime = options.runtime ?? '';
    const key = `${name}\0${runtime}`;
    let found = this.#cache.get(key);
    if (found === undefined) {
      found = this.#load(name, runtime, options.modelName ?? '');
      this.#cache.set(key, found);
      found.catch(() => this.#cache.delete(key));
    }
    return found;
  }

  async #load(name: string, runtime: string, modelName: string): Promise<Backend> {
    const choice = chooseRuntime(runtime, name, this.#backendDir(name), modelName);
    if (choice.kind === 'module') return importBackend(choice.file, name);
    if (choice.kind === 'python-based') return pythonBased(await this.resolve('python'), name, choice.file);
    const builtIn = BUILT_INS[name];
    if (builtIn !== undefined) return asBackend(await builtIn(), name, `built-in backend '${name}'`);
    const entry = this.#pluginEntry(name);
    if (entry !== undefined) return importBackend(entry, name);
    // As Triton, a backend folder holding only model.py is a Python-based backend.
    const dir = this.#backendDir(name);
    if (dir !== undefined && existsSync(join(dir, PYTHON_RUNTIME))) {
      return pythonBased(await this.resolve('python'), name, join(dir, PYTHON_RUNTIME));
    }
    throw ServerError.invalidArg(
      `unable to find backend '${name}': not built in and no '${name}' module under backend directory ` +
        `'${this.#directory ?? '(none)'}'`,
    );
  }

  /** `<backend-directory>/<name>` when it is a folder (and the name cannot leave the directory). */
  #backendDir(name: string): string | undefined {
    if (this.#directory === undefined || name === '' || name.includes('/') || name.includes('\\') || name.startsWith('.')) return undefined;
    const dir = join(this.#directory, name);
    return existsSync(dir) && statSync(dir).isDirectory() ? dir : undefined;
  }

  #pluginEntry(name: string): string | undefined {
    const dir = this.#backendDir(name);
    if (dir === undefined) return undefined;
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      const main = (JSON.parse(readFileSync(pkg, 'utf8')) as { main?: unknown }).main;
      if (typeof main === 'string' && existsSync(join(dir, main))) return join(dir, main);
    }
    return ENTRY_CANDIDATES.map((f) => join(dir, f)).find((p) => existsSync(p));
  }
}

async function importBackend(entry: string, name: string): Promise<Backend> {
  let mod: unknown;
  try {
    mod = await import(pathToFileURL(entry).href);
  } catch (err) {
    throw ServerError.invalidArg(`unable to load backend '${name}' from '${entry}': ${(err as Error).message}`);
  }
  return asBackend(mod, name, entry);
}

/**
 * A Python-based backend (Triton's term): the python backend runs `file` (the backend's model.py)
 * for every model of backend `name`, instead of the model's own version-directory model.py.
 */
function pythonBased(python: Backend, name: string, file: string): Backend {
  return { name, createModel: (ctx) => python.createModel({ ...ctx, modelPath: file }) };
}

function asBackend(mod: unknown, name: string, where: string): Backend {
  const m = mod as { backend?: unknown; default?: unknown };
  const candidate = (m.backend ?? m.default) as Partial<Backend> | undefined;
  if (candidate === undefined || candidate === null || typeof candidate.createModel !== 'function') {
    throw ServerError.invalidArg(`${where} does not export a backend (expected 'backend' or default export with createModel())`);
  }
  return { name: typeof candidate.name === 'string' ? candidate.name : name, createModel: candidate.createModel.bind(candidate) };
}
