/**
 * The repository manager: which models exist, the state of every version, and leases on READY
 * versions. Implements core's ModelResolver. Control mode `none` for now: everything is loaded at
 * start and load/unload requests are refused as Triton refuses them in that mode.
 */
import {
  ServerError,
  type ModelIndexEntry, type ModelLease, type ModelResolver, type ModelState, type ServedModel,
} from '../core/index.js';
import type { Logger } from '../observability/log.js';
import { scanRepositories } from './layout.js';
import { loadModel, type LoaderOptions } from './model-loader.js';
import type { ServedVersion } from './served-version.js';

interface VersionRecord {
  readonly version: number;
  state: ModelState;
  reason: string;
  served: ServedVersion | undefined;
  leases: number;
  onDrained: (() => void) | undefined;
}

interface ModelRecord {
  readonly name: string;
  readonly versions: Map<number, VersionRecord>;
  /** Model-level state when no version record exists (failed config, duplicate, loading). */
  state: ModelState | undefined;
  reason: string;
}

export interface RepositoryManagerOptions extends LoaderOptions {
  readonly repositories: readonly string[];
  /** --model-load-thread-count: models loaded in parallel. */
  readonly loadThreadCount?: number;
  readonly log: Logger;
}

export class RepositoryManager implements ModelResolver {
  readonly #options: RepositoryManagerOptions;
  readonly #models = new Map<string, ModelRecord>();

  constructor(options: RepositoryManagerOptions) {
    this.#options = options;
  }

  /** Scans the repositories and loads every model. Resolves with the names of models that failed. */
  async loadAll(): Promise<string[]> {
    const locations = scanRepositories(this.#options.repositories);
    for (const loc of locations) {
      this.#models.set(loc.name, { name: loc.name, versions: new Map(), state: 'LOADING', reason: '' });
    }
    const failed: string[] = [];
    const queue = [...locations];
    const workers = Array.from({ length: Math.max(1, this.#options.loadThreadCount ?? 4) }, async () => {
      for (let loc = queue.shift(); loc !== undefined; loc = queue.shift()) {
        const record = this.#models.get(loc.name)!;
        if (loc.dirs.length > 1) {
          record.state = 'UNAVAILABLE';
          record.reason = `model '${loc.name}' appears in multiple model repositories: ${loc.dirs.join(', ')}`;
          this.#options.log.error('model_repository_manager', record.reason);
          failed.push(loc.name);
          continue;
        }
        if (!(await this.#load(record, loc.dirs[0]!))) failed.push(loc.name);
      }
    });
    await Promise.all(workers);
    return failed.sort();
  }

  async #load(record: ModelRecord, dir: string): Promise<boolean> {
    this.#options.log.info('model_lifecycle', `loading: ${record.name}`);
    const result = await loadModel(record.name, dir, this.#options);
    if (result.error !== undefined) {
      record.state = 'UNAVAILABLE';
      record.reason = result.error;
      this.#options.log.error('model_lifecycle', `failed to load '${record.name}': ${result.error}`);
      return false;
    }
    record.state = undefined;
    record.reason = '';
    let ok = true;
    for (const v of result.versions) {
      record.versions.set(v.version, {
        version: v.version,
        state: v.served !== undefined ? 'READY' : 'UNAVAILABLE',
        reason: v.error ?? '',
        served: v.served,
        leases: 0,
        onDrained: undefined,
      });
      if (v.served === undefined) ok = false;
    }
    return ok;
  }

  acquire(name: string, version: number | undefined): ModelLease {
    const record = this.#models.get(name);
    if (record === undefined) throw ServerError.notFound(`Request for unknown model: '${name}' is not found`);
    let v: VersionRecord | undefined;
    if (version === undefined) {
      for (const candidate of record.versions.values()) {
        if (candidate.state === 'READY' && (v === undefined || candidate.version > v.version)) v = candidate;
      }
      if (v === undefined) throw ServerError.notFound(`Request for unknown model: '${name}' has no available versions`);
    } else {
      v = record.versions.get(version);
      if (v === undefined) throw ServerError.notFound(`Request for unknown model: '${name}' version ${version} is not found`);
      if (v.state !== 'READY') {
        throw ServerError.unavailable(`Request for unknown model: '${name}' version ${version} is not at ready state`);
      }
    }
    const held = v;
    const served = held.served!;
    held.leases += 1;
    let released = false;
    return {
      model: served,
      release: () => {
        if (released) return;
        released = true;
        held.leases -= 1;
        if (held.leases === 0) held.onDrained?.();
      },
    };
  }

  readyModels(): readonly ServedModel[] {
    const out: ServedModel[] = [];
    for (const record of this.#models.values()) {
      for (const v of record.versions.values()) if (v.state === 'READY' && v.served !== undefined) out.push(v.served);
    }
    return out;
  }

  index(readyOnly: boolean): readonly ModelIndexEntry[] {
    const out: ModelIndexEntry[] = [];
    const names = [...this.#models.keys()].sort();
    for (const name of names) {
      const record = this.#models.get(name)!;
      if (record.versions.size === 0) {
        if (readyOnly) continue;
        out.push(entry(name, undefined, record.state, record.reason));
        continue;
      }
      for (const v of [...record.versions.values()].sort((a, b) => a.version - b.version)) {
        if (readyOnly && v.state !== 'READY') continue;
        out.push(entry(name, String(v.version), v.state, v.reason));
      }
    }
    return out;
  }

  allModelsReady(): boolean {
    for (const record of this.#models.values()) {
      if (record.versions.size === 0 && record.state !== undefined) return false;
      for (const v of record.versions.values()) {
        if (v.state !== 'READY' && v.reason !== 'unloaded') return false;
      }
    }
    return true;
  }

  async load(): Promise<void> {
    throw ServerError.unavailable('explicit model load / unload is not allowed if polling is enabled');
  }

  async unload(): Promise<void> {
    throw ServerError.unavailable('explicit model load / unload is not allowed if polling is enabled');
  }

  async shutdown(): Promise<void> {
    const all: Promise<void>[] = [];
    for (const record of this.#models.values()) {
      for (const v of record.versions.values()) if (v.served !== undefined) all.push(this.#unloadVersion(record.name, v));
    }
    await Promise.all(all);
  }

  async #unloadVersion(name: string, v: VersionRecord): Promise<void> {
    const served = v.served!;
    v.state = 'UNLOADING';
    if (v.leases > 0) await new Promise<void>((resolve) => (v.onDrained = resolve));
    try {
      await served.dispose();
    } catch (err) {
      this.#options.log.error('model_lifecycle', `error unloading '${name}' version ${v.version}: ${(err as Error).message}`);
    }
    v.served = undefined;
    v.state = 'UNAVAILABLE';
    v.reason = 'unloaded';
    this.#options.log.info('model_lifecycle', `successfully unloaded '${name}' version ${v.version}`);
  }
}

function entry(name: string, version: string | undefined, state: ModelState | undefined, reason: string): ModelIndexEntry {
  return {
    name,
    ...(version === undefined ? {} : { version }),
    ...(state === undefined ? {} : { state }),
    ...(reason === '' ? {} : { reason }),
  };
}
