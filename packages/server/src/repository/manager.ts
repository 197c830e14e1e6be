/**
 * The repository manager: which models exist, the state of every version, and leases on READY
 * versions. Implements core's ModelResolver and the three model control modes (spec §7):
 * - `none`: everything loads at start; load/unload requests are refused as Triton refuses them.
 * - `poll`: as `none`, then every `pollSecs` the repositories are rescanned: new models load, removed
 *   ones unload, changed ones reload (a failing reload keeps the old versions serving).
 * - `explicit`: only the startup models load; then the load/unload API decides (with overrides).
 *
 * A (re)load builds the new versions beside the old and swaps the version map in one step: leases on an
 * old version finish on it, new requests lease the new one, old versions go once their leases drain.
 */
import {
  ServerError, type CancelSignal, type ModelIndexEntry, type ModelLease, type ModelResolver, type ServedModel,
} from '../core/index.js';
import type { ModelConfig } from '../config/index.js';
import { modelFingerprint } from './fingerprint.js';
import { findModelDirs, locateModel, scanRepositories, type ModelLocation } from './layout.js';
import {
  isEnsembleDir, loadEnsemble, loadModelWithRetry, prepareEnsemble, type ModelLoadResult, type PreparedEnsemble,
} from './model-loader.js';
import { checkLoadModelName } from './model-name.js';
import { parseLoadOverrides, removeOverrideDir, writeOverrideDir } from './overrides.js';
import { cycleFrom, ensembleBlockers, membersFirst, missingMembersText } from './ensemble-graph.js';
import { runBounded } from './load-queue.js';
import { isReady } from './version-record.js';
import {
  acquire, allModelsReady, comparePoll, indexEntries, latestReadyOf, memberProblem, newRecord, readyModels, refreshNames,
  serialize, storeVersions,
  type ModelRecord,
} from './model-records.js';
import { Retirements } from './retirements.js';
import { createResidency, type ModelResidency, type ResidencySnapshot } from './residency.js';
import { residencyHost } from './residency-host.js';
import type { ModelControlMode, RepositoryManagerOptions } from './manager-options.js';

export type { ModelControlMode, RepositoryManagerOptions } from './manager-options.js';

const POLLING_REFUSAL = 'explicit model load / unload is not allowed if polling is enabled';

/** Where a load takes the model from: its directory, and the `config` override if any. */
interface LoadSource {
  readonly dir: string;
  readonly config?: ModelConfig;
  /** Set when `dir` is a temporary override directory this load owns. */
  readonly tempDir?: string;
}


export class RepositoryManager implements ModelResolver {
  readonly #options: RepositoryManagerOptions;
  readonly #mode: ModelControlMode;
  readonly #models = new Map<string, ModelRecord>();
  /** Background work (old versions draining, then disposing) that shutdown waits for. */
  readonly #retirements: Retirements;
  #pollTimer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  #stopped = false;
  /** On-demand loads and budgets; undefined when neither is asked for (nothing on the request path then). */
  readonly #residency: ModelResidency | undefined;

  constructor(options: RepositoryManagerOptions) {
    this.#options = options;
    this.#retirements = new Retirements(options.log);
    this.#mode = options.controlMode ?? 'none';
    this.#residency = createResidency(options, this.#mode, residencyHost({
      table: this.#models, repositories: options.repositories, log: options.log, retire: (r) => this.#retire(r),
      loadFrom: (r, dir) => this.#loadFrom(r, { dir }, []), acquire: (n, v) => this.acquire(n, v),
    }));
  }

  /** The residency figures for the metrics gauges (undefined without on-demand loading or budgets). */
  residency(): ResidencySnapshot | undefined {
    return this.#residency?.snapshot();
  }

  get #loadConcurrency(): number {
    return this.#options.loadThreadCount ?? 4;
  }

  get controlMode(): ModelControlMode {
    return this.#mode;
  }

  /**
   * Start-up as the control mode says: `none`/`poll` load everything (poll then starts its timer),
   * `explicit` loads only the startup models. Resolves with the names of models that failed.
   */
  async start(): Promise<string[]> {
    // A remote repository that cannot be read at start fails start-up, as an unreadable local one does.
    await this.#options.remote?.sync();
    if (this.#mode !== 'explicit') {
      const failed = await this.loadAll();
      const secs = this.#options.pollSecs ?? 15;
      if (this.#mode === 'poll' && secs > 0) {
        this.#pollTimer = setInterval(() => void this.poll(), secs * 1000);
        this.#pollTimer.unref();
      }
      return failed;
    }
    const names = [...new Set(this.#options.startupModels ?? [])];
    if (names.includes('*')) {
      if (names.length > 1) throw ServerError.invalidArg("Wildcard model name '*' must be the ONLY startup model if specified at all.");
      return this.loadAll();
    }
    this.#refreshNames();
    const failed: string[] = [];
    await runBounded(names, this.#loadConcurrency, async (name) => {
      try {
        await this.#loadByName(name, {});
      } catch (err) {
        this.#options.log.error('model_lifecycle', ServerError.from(err).message, { model: name, state: 'UNAVAILABLE' });
        failed.push(name);
      }
    });
    return failed.sort();
  }

  /**
   * Scans the repositories and loads every model: other models concurrently, then ensembles in
   * dependency order (members first, nested ensembles before the ensembles using them). Resolves with
   * the names of models that failed.
   */
  async loadAll(): Promise<string[]> {
    const locations = scanRepositories(this.#options.repositories);
    for (const loc of locations) {
      const record = newRecord(loc.name, 'LOADING');
      if (this.#mode === 'poll' && loc.dirs.length === 1) record.fingerprint = modelFingerprint(loc.dirs[0]!);
      this.#models.set(loc.name, record);
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
    await runBounded(queue, this.#loadConcurrency, async (loc) => {
      if (!(await this.#load(this.#models.get(loc.name)!, loc.dirs[0]!))) failed.push(loc.name);
    });
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
      this.#options.log.info('model_lifecycle', `loading: ${name}`, { model: name, state: 'LOADING' });
      try {
        prepared.set(name, prepareEnsemble(name, dir, this.#options));
      } catch (err) {
        this.#fail(this.#models.get(name)!, ServerError.from(err).message);
        failed.push(name);
      }
    }
    const members = (name: string): string[] => [...new Set((prepared.get(name)?.members ?? []).map((m) => m.name))];
    for (const [name, reason] of ensembleBlockers(prepared.keys(), members, (m) => this.#models.has(m))) {
      this.#fail(this.#models.get(name)!, reason);
      prepared.delete(name);
      failed.push(name);
    }
    // Members before the ensembles using them.
    for (const name of membersFirst(prepared.keys(), members)) {
      const p = prepared.get(name)!;
      const reason = memberProblem(this.#models, name, p);
      const result: ModelLoadResult = reason !== undefined
        ? { versions: [], error: reason }
        : loadEnsemble(name, dirs.get(name)!, p, this.#options, (m) => latestReadyOf(this.#models, m)!.served!.config!, this.#memberLabels);
      const record = this.#models.get(name)!;
      record.members = members(name);
      if (!this.#record(record, result)) failed.push(name);
    }
    return failed;
  }

  /** A loaded member output's labels, for the ensembles whose outputs it produces. */
  readonly #memberLabels = (name: string, output: string): readonly string[] | undefined =>
    latestReadyOf(this.#models, name)?.served?.spec.outputs.find((o) => o.name === output)?.labels;

  #fail(record: ModelRecord, reason: string, component = 'model_lifecycle'): void {
    record.state = 'UNAVAILABLE';
    record.reason = reason;
    this.#options.log.error(component, component === 'model_lifecycle' ? `failed to load '${record.name}': ${reason}` : reason,
      { model: record.name, state: 'UNAVAILABLE' });
  }

  async #load(record: ModelRecord, dir: string): Promise<boolean> {
    this.#options.log.info('model_lifecycle', `loading: ${record.name}`, { model: record.name, state: 'LOADING' });
    let result: ModelLoadResult;
    try {
      result = await this.#loadWithRetry(record.name, dir);
    } catch (err) {
      result = { versions: [], error: ServerError.from(err).message }; // no room within the budget
    }
    return this.#record(record, result);
  }

  /** A load of a model with a backend, under the budgets when there are any (may throw UNAVAILABLE first). */
  #loadWithRetry(name: string, dir: string, config?: ModelConfig): Promise<ModelLoadResult> {
    const run = (): Promise<ModelLoadResult> => loadModelWithRetry(name, dir, this.#options, this.#options.loadRetryCount ?? 0, config);
    return this.#residency === undefined ? run() : this.#residency.load(name, dir, run);
  }

  /** Stores a load result in the model's record; true when every version is READY. */
  #record(record: ModelRecord, result: ModelLoadResult): boolean {
    if (result.error === undefined) return storeVersions(record, result);
    this.#fail(record, result.error);
    return false;
  }

  acquire(name: string, version: number | undefined): ModelLease {
    const lease = acquire(this.#models, name, version);
    this.#residency?.touch(name);
    return lease;
  }

  /**
   * --model-load-on-demand: a model on disk without a READY version loads for the request (a loaded
   * model missing the asked version does not: its version policy decides what serves).
   */
  acquireOnDemand(name: string, version: number | undefined, signal: CancelSignal | undefined): Promise<ModelLease> | undefined {
    if (this.#residency?.loadsOnDemand !== true || this.#stopped || latestReadyOf(this.#models, name) !== undefined) return undefined;
    if (findModelDirs(this.#options.repositories, name).length === 0) return undefined; // not (or no longer) on disk
    return this.#residency.wait(name, version, signal);
  }

  readyModels(): readonly ServedModel[] {
    return readyModels(this.#models);
  }

  index(readyOnly: boolean): readonly ModelIndexEntry[] {
    if (this.#mode === 'explicit' && !this.#stopped) {
      try {
        this.#refreshNames();
      } catch (err) {
        this.#options.log.error('model_repository_manager', `failed to scan model repository: ${(err as Error).message}`);
      }
    }
    return indexEntries(this.#models, readyOnly);
  }

  allModelsReady(): boolean {
    return allModelsReady(this.#models);
  }

  /**
   * Explicit mode: loads the model (or reloads it when loaded), with the `config` and `file:`
   * overrides of the load API. Ensembles load their composing models first. Resolves once the new
   * versions serve; a failed reload keeps the old versions serving and rejects with the error.
   */
  async load(name: string, parameters: Readonly<Record<string, unknown>>): Promise<void> {
    if (this.#mode !== 'explicit') throw ServerError.unavailable(POLLING_REFUSAL);
    checkLoadModelName(name);
    try {
      await this.#options.remote?.sync();
    } catch (err) {
      throw ServerError.internal(`failed to load '${name}', failed to poll from model repository: ${(err as Error).message}`);
    }
    await this.#loadByName(name, parameters);
  }

  /**
   * Explicit mode: new requests are refused at once, in-flight ones finish on their versions, which
   * are then disposed (this does not wait for that, as Triton's unload). `unload_dependents` also
   * unloads an ensemble's composing models that no other loaded ensemble uses. Unknown or
   * not-loaded models are fine.
   */
  async unload(name: string, parameters: Readonly<Record<string, unknown>>): Promise<void> {
    if (this.#mode !== 'explicit') throw ServerError.unavailable(POLLING_REFUSAL);
    const record = this.#models.get(name);
    if (record === undefined) return;
    await serialize(record, async () => this.#retire(record));
    await this.#retirements.retireEnsemblesUsing(this.#models, name);
    if (parameters.unload_dependents !== true) return;
    for (const m of record.members) {
      const usedElsewhere = [...this.#models.values()].some((other) =>
        other !== record && other.members.includes(m) && latestReadyOf(this.#models, other.name) !== undefined);
      if (!usedElsewhere) await this.unload(m, parameters);
    }
  }

  /**
   * Poll mode's rescan (the timer calls it; tests may too): loads new models, unloads removed ones,
   * reloads those whose directory changed. Concurrent calls share one scan.
   */
  poll(): Promise<void> {
    this.#polling ??= this.#pollOnce().finally(() => (this.#polling = undefined));
    return this.#polling;
  }

  async #pollOnce(): Promise<void> {
    if (this.#stopped) return;
    try {
      await this.#options.remote?.sync();
    } catch (err) {
      // An unreachable bucket must not look like an empty one: nothing is unloaded, the next poll retries.
      this.#options.log.error('model_repository_manager', `failed to poll model repository: ${(err as Error).message}`);
      return;
    }
    if (this.#stopped) return;
    let locations: ModelLocation[];
    try {
      locations = scanRepositories(this.#options.repositories);
    } catch (err) {
      this.#options.log.error('model_repository_manager', `failed to poll model repository: ${(err as Error).message}`);
      return;
    }
    const { removed, duplicated, changed } = comparePoll(this.#models, locations);
    for (const record of removed) {
      this.#options.log.info('model_lifecycle', `model '${record.name}' was removed from the repository: unloading`);
      await serialize(record, async () => this.#retire(record));
      this.#models.delete(record.name);
      await this.#retirements.retireEnsemblesUsing(this.#models, record.name);
    }
    for (const { record, dirs } of duplicated) {
      this.#fail(record, `model '${record.name}' appears in multiple model repositories: ${dirs.join(', ')}`, 'model_repository_manager');
    }
    // Other models first (in parallel), then ensembles, which would otherwise load a changed member's old version.
    const ensembles = changed.filter((c) => isEnsembleDir(c.record.name, c.dir, this.#options));
    const others = changed.filter((c) => !ensembles.includes(c));
    await runBounded(others, this.#loadConcurrency, async ({ record, dir }) => {
      await serialize(record, () => this.#loadFrom(record, { dir }, []));
    });
    for (const { record, dir } of ensembles) await serialize(record, () => this.#loadFrom(record, { dir }, []));
  }

  async shutdown(): Promise<void> {
    this.#stopped = true;
    if (this.#pollTimer !== undefined) clearInterval(this.#pollTimer);
    await this.#polling;
    await Promise.all([...this.#models.values()].map((r) => r.busy));
    const all: Promise<void>[] = [];
    for (const record of this.#models.values()) {
      for (const v of record.versions.values()) if (v.served !== undefined && isReady(v)) all.push(this.#retirements.unloadVersion(record.name, v));
    }
    await Promise.all(all);
    await this.#retirements.settle();
    for (const record of this.#models.values()) {
      if (record.tempDir !== undefined) removeOverrideDir(record.tempDir);
      record.tempDir = undefined;
    }
    this.#options.remote?.close();
  }

  #refreshNames(): void {
    refreshNames(this.#models, this.#options.repositories);
  }

  async #loadByName(name: string, parameters: Readonly<Record<string, unknown>>): Promise<void> {
    const overrides = parseLoadOverrides(name, parameters);
    let record = this.#models.get(name);
    if (record === undefined) {
      if (overrides.files.size === 0) locateModel(this.#options.repositories, name); // throws when it is not on disk
      record = newRecord(name);
      this.#models.set(name, record);
    }
    const target = record;
    await serialize(target, async () => {
      let source: LoadSource;
      if (overrides.files.size > 0) {
        const tempDir = writeOverrideDir(name, overrides.files);
        source = { dir: tempDir, tempDir, ...(overrides.config === undefined ? {} : { config: overrides.config }) };
      } else {
        source = { dir: locateModel(this.#options.repositories, name), ...(overrides.config === undefined ? {} : { config: overrides.config }) };
      }
      const error = await this.#loadFrom(target, source, []);
      if (error !== undefined) throw ServerError.invalidArg(error);
    });
  }


  /** Unloads the model (in-flight requests finish first); it no longer counts against the budgets. */
  #retire(record: ModelRecord): void {
    this.#residency?.released(record.name);
    this.#retirements.retireRecord(record);
  }

  /** Loads a composing model from disk unless a version of it serves already (runs in its queue). */
  async #ensureLoaded(name: string, stack: readonly string[]): Promise<void> {
    const record = this.#models.get(name);
    if (record === undefined) return; // reported as a missing member by the ensemble
    await serialize(record, async () => {
      if (latestReadyOf(this.#models, name) !== undefined) return;
      let dir: string;
      try {
        dir = locateModel(this.#options.repositories, name);
      } catch (err) {
        this.#fail(record, ServerError.from(err).message);
        return;
      }
      await this.#loadFrom(record, { dir }, stack);
    });
  }

  /**
   * Loads the model from `source` and swaps it in (`Retirements.swapIn`). `stack`: the ensembles whose load led
   * here, to stop on cycles. Returns the load error, if any. Must run in the record's queue.
   */
  async #loadFrom(record: ModelRecord, source: LoadSource, stack: readonly string[]): Promise<string | undefined> {
    const name = record.name;
    this.#options.log.info('model_lifecycle', `loading: ${name}`, { model: name, state: 'LOADING' });
    const before = record.state;
    if (record.versions.size === 0) record.state = 'LOADING';
    let result: ModelLoadResult;
    let members: string[] = [];
    if (isEnsembleDir(name, source.dir, this.#options, source.config)) {
      try {
        const p = prepareEnsemble(name, source.dir, this.#options, source.config);
        members = [...new Set(p.members.map((m) => m.name))];
        // Only this ensemble's members are known yet; each member ensemble checks its own when it loads.
        const cycle = cycleFrom(name, (n) => (n === name ? members : []), stack);
        if (cycle !== undefined) {
          result = { versions: [], error: cycle };
        } else {
          if (this.#mode === 'explicit') this.#refreshNames();
          for (const m of members) await this.#ensureLoaded(m, [...stack, name]);
          const missing = members.filter((m) => !this.#models.has(m));
          const reason = missing.length > 0 ? missingMembersText(name, missing) : memberProblem(this.#models, name, p);
          result = reason !== undefined
            ? { versions: [], error: reason }
            : loadEnsemble(name, source.dir, p, this.#options, (m) => latestReadyOf(this.#models, m)!.served!.config!, this.#memberLabels);
        }
      } catch (err) {
        result = { versions: [], error: ServerError.from(err).message };
      }
    } else {
      try {
        result = await this.#loadWithRetry(name, source.dir, source.config);
      } catch (err) {
        // No room within the budget: nothing was loaded or changed.
        if (record.state === 'LOADING') record.state = before;
        if (source.tempDir !== undefined) removeOverrideDir(source.tempDir);
        throw err;
      }
    }
    return this.#retirements.swapIn(record, result, source.tempDir, members);
  }
}
