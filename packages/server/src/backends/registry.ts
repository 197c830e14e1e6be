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

const BUILT_INS: Readonly<Record<string, () => Promise<unknown>>> = {
  onnxruntime: () => import('./onnxruntime/index.js'),
  identity: () => import('./identity/index.js'),
  repeat: () => import('./repeat/index.js'),
  python: () => import('./python/index.js'),
};

/** File names tried, in order, inside `<backend-directory>/<name>/`. */
const ENTRY_CANDIDATES = ['index.js', 'index.mjs', 'backend.js', 'backend.mjs'];

export class BackendRegistry {
  readonly #directory: string | undefined;
  readonly #cache = new Map<string, Promise<Backend>>();

  constructor(options: { backendDirectory?: string } = {}) {
    this.#directory = options.backendDirectory;
  }

  /** The backend called `name`; rejects with INVALID_ARG when none exists or it is malformed. */
  resolve(name: string): Promise<Backend> {
    let found = this.#cache.get(name);
    if (found === undefined) {
      found = this.#load(name);
      this.#cache.set(name, found);
      found.catch(() => this.#cache.delete(name));
    }
    return found;
  }

  async #load(name: string): Promise<Backend> {
    const builtIn = BUILT_INS[name];
    if (builtIn !== undefined) return asBackend(await builtIn(), name, `built-in backend '${name}'`);
    const entry = this.#pluginEntry(name);
    if (entry === undefined) {
      throw ServerError.invalidArg(
        `unable to find backend '${name}': not built in and no '${name}' module under backend directory ` +
          `'${this.#directory ?? '(none)'}'`,
      );
    }
    let mod: unknown;
    try {
      mod = await import(pathToFileURL(entry).href);
    } catch (err) {
      throw ServerError.invalidArg(`unable to load backend '${name}' from '${entry}': ${(err as Error).message}`);
    }
    return asBackend(mod, name, entry);
  }

  #pluginEntry(name: string): string | undefined {
    if (this.#directory === undefined || name.includes('/') || name.includes('\\') || name.startsWith('.')) return undefined;
    const dir = join(this.#directory, name);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) return undefined;
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      const main = (JSON.parse(readFileSync(pkg, 'utf8')) as { main?: unknown }).main;
      if (typeof main === 'string' && existsSync(join(dir, main))) return join(dir, main);
    }
    return ENTRY_CANDIDATES.map((f) => join(dir, f)).find((p) => existsSync(p));
  }
}

function asBackend(mod: unknown, name: string, where: string): Backend {
  const m = mod as { backend?: unknown; default?: unknown };
  const candidate = (m.backend ?? m.default) as Partial<Backend> | undefined;
  if (candidate === undefined || candidate === null || typeof candidate.createModel !== 'function') {
    throw ServerError.invalidArg(`${where} does not export a backend (expected 'backend' or default export with createModel())`);
  }
  return { name: typeof candidate.name === 'string' ? candidate.name : name, createModel: candidate.createModel.bind(candidate) };
}
