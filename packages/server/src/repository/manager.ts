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
import {
  isEnsembleDir, loadEnsemble, loadModel, prepareEnsemble, type LoaderOptions, type ModelLoadResult, type PreparedEnsemble,
} from './model-loader.js';
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

  /**
   * Scans the repositories and loads every model: other models concurrently, then ensembles in
   * dependency order (members first, nested ensembles before the ensembles using them). Resolves with
   * the names of models that failed.
   */
  async loadAll(): Promise<string[]> {
    const locations = scanRepositories(this.#options.repositories);
    for (const loc of locations) {
      this.#models.set(loc.name, { name: loc.name, versions: new Map(), state: 'LOADING', reason: '' });
    }
    const failed: string[] = [];
    const queue: typeof locations = [];
    const ensembles = new Map<string, string>();
    for (const loc of locations) {
      const record = this.#models.get(loc.name)!;
      if (loc.dirs.length > 1) {
        this.#fail(record, `model '${loc.name}' appears in multiple model repositories: ${loc.dirs.join(', ')}`, 'model_repository_manager');
        failed.push(loc.name);
      } else if (isEnsembleDir(loc.name, loc.dirs[0]!, this.#options)) {
        ensembles.set(loc.name, loc.dirs[0]!);
      } else {
        queue.push(loc);
      }
    }
    const workers = Array.from({ length: Math.max(1, this.#options.loadThreadCount ?? 4) }, async () => {
      for (let loc = queue.shift(); loc !== undefined; loc = queue.shift()) {
        if (!(await this.#load(this.#models.get(loc.name)!, loc.dirs[0]!))) failed.push(loc.name);
      }
    });
    await Promise.all(workers);
    failed.push(...this.#loadEnsembles(ensembles));
    return failed.sort();
  }

  /**
   * Loads ensembles once their members are settled. Each one's own config is checked first (as Triton
   * validates a config before it builds the dependency graph), then missing members, cycles, failed
   * members, and last the steps against the members' configs. Returns the names that failed.
   */
  #loadEnsembles(dirs: ReadonlyMap<string, string>): string[] {
    const failed: string[] = [];
    const prepared = new Map<string, PreparedEnsemble>();
    for (const [name, dir] of dirs) {
      this.#options.log.info('model_lifecycle', `loading: ${name}`);
      try {
        prepared.set(name, prepareEnsemble(name, dir, this.#options));
      } catch (err) {
        this.#fail(this.#models.get(name)!, ServerError.from(err).message);
        failed.push(name);
      }
    }
    const members = (name: string): string[] => [...new Set((prepared.get(name)?.members ?? []).map((m) => m.name))];
    const blocked = new Map<string, string>();
    for (const name of prepared.keys()) {
      const missing = members(name).filter((m) => !this.#models.has(m)).sort();
      if (missing.length > 0) blocked.set(name, `ensemble ${name} contains models that are not available or ambiguous: ${missing.join(', ')}`);
    }
    for (const name of prepared.keys()) {
      if (blocked.has(name)) continue;
      const last = cycleThrough(name, (n) => (prepared.has(n) ? members(n) : []));
      if (last !== undefined) blocked.set(name, `circular dependency between ensembles: ${name} -> ... -> ${last} -> ${name}`);
    }
    for (const [name, reason] of blocked) {
      this.#fail(this.#models.get(name)!, reason);
      prepared.delete(name);
      failed.push(name);
    }
    // Members before the ensembles using them: take any ensemble whose ensemble members are settled.
    while (prepared.size > 0) {
      const name = [...prepared.keys()].find((n) => members(n).every((m) => !prepared.has(m)));
      if (name === undefined) break; // unreachable: every cycle was blocked above
      const p = prepared.get(name)!;
      prepared.delete(name);
      const reason = this.#memberProblem(name, p);
      const result: ModelLoadResult = reason !== undefined
        ? { versions: [], error: reason }
        : loadEnsemble(name, dirs.get(name)!, p, this.#options, (m) => this.#latestReady(m)!.served!.config!);
      if (!this.#record(this.#models.get(name)!, result)) failed.push(name);
    }
    return failed;
  }

  /** Why an ensemble cannot load because of a member (Triton's dependency-node messages), if it cannot. */
  #memberProblem(name: string, p: PreparedEnsemble): string | undefined {
    for (const { name: m, version } of p.members) {
      const record = this.#models.get(m)!;
      const ready = [...record.versions.values()].filter((v) => v.state === 'READY');
      if (record.versions.size === 0) {
        return `ensemble '${name}' depends on '${m}' which is not valid. Model '${m}' failed with error: ${record.reason}`;
      }
      if (ready.length === 0) {
        const reason = [...record.versions.values()].find((v) => v.reason !== '')?.reason ?? '';
        return `ensemble '${name}' depends on '${m}' which has no loaded version. Model '${m}' loading failed with error: ${reason}`;
      }
      if (version >= 0 && !ready.some((v) => v.version === version)) {
        return `ensemble '${name}' depends on '${m}' whose required version ${version} is not loaded.`;
      }
    }
    return undefined;
  }

  #latestReady(name: string): VersionRecord | undefined {
    let best: VersionRecord | undefined;
    for (const v of this.#models.get(name)?.versions.values() ?? []) {
      if (v.state === 'READY' && (best === undefined || v.version > best.version)) best = v;
    }
    return best;
  }

  #fail(record: ModelRecord, reason: string, component = 'model_lifecycle'): void {
    record.state = 'UNAVAILABLE';
    record.reason = reason;
    this.#options.log.error(component, component === 'model_lifecycle' ? `failed to load '${record.name}': ${reason}` : reason);
  }

  async #load(record: ModelRecord, dir: string): Promise<boolean> {
    this.#options.log.info('model_lifecycle', `loading: ${record.name}`);
    return this.#record(record, await loadModel(record.name, dir, this.#options));
  }

  /** Stores a load result in the model's record; true when every version is READY. */
  #record(record: ModelRecord, result: ModelLoadResult): boolean {
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

/**
 * Follows ensemble membership from `start`; when a path leads back to it, returns the last ensemble
 * before the loop closes (Triton names it in its message), else undefined.
 */
function cycleThrough(start: string, members: (name: string) => readonly string[]): string | undefined {
  const seen = new Set<string>();
  const visit = (current: string): string | undefined => {
    for (const m of members(current)) {
      if (m === start) return current;
      if (seen.has(m)) continue;
      seen.add(m);
      const found = visit(m);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return visit(start);
}

function entry(name: string, version: string | undefined, state: ModelState | undefined, reason: string): ModelIndexEntry {
  return {
    name,
    ...(version === undefined ? {} : { version }),
    ...(state === undefined ? {} : { state }),
    ...(reason === '' ? {} : { reason }),
  };
}
