/**
 * The repository manager: which models exist, the state of every version, and leases on READY
 * versions. Implements core's ModelResolver and the three model control modes (spec §7):
 * - `none`: everything loads at start; load/unload requests are refused as Triton refuses them.
 * - `poll`: as `none`, then every `pollSecs` the repositories are rescanned: new models load, removed
 *   ones unload, changed ones reload (a failing reload keeps the old versions serving).
 * - `explicit`: only the startup models load; then the load/unload API decides (with overrides).
 *
 * A (re)load builds the new versions next to the old ones and swaps the model's version map in one
 * step: requests holding a lease on an old version finish on it, new requests lease the new one, and
 * the old versions are disposed once their leases drain.
 */
import { modelUnloadChannel, type ModelUnloadMessage } from '../core/diagnostics.js';
import {
  ServerError,
  type CancelSignal, type ModelIndexEntry, type ModelLease, type ModelResolver, type ModelState, type ServedModel,
} from '../core/index.js';
import type { ModelConfig } from '../config/index.js';
import type { Logger } from '../observability/log.js';
import { modelFingerprint } from './fingerprint.js';
import { findModelDirs, scanRepositories, type ModelLocation } from './layout.js';
import {
  isEnsembleDir, loadEnsemble, loadModel, prepareEnsemble, type LoaderOptions, type ModelLoadResult, type PreparedEnsemble,
} from './model-loader.js';
import { checkLoadModelName } from './model-name.js';
import { parseLoadOverrides, removeOverrideDir, writeOverrideDir } from './overrides.js';
import { cycleOnPath, ensembleBlockers, membersFirst, missingMembersText } from './ensemble-graph.js';
import { runBounded } from './load-queue.js';
import { createResidency, type ModelResidency, type ResidencyOptions, type ResidencySnapshot } from './residency.js';
import {
  drained, isReady, latestReady, lease, reasonOf, stateOf, UNLOADED, UNLOADING, versionRecord, type VersionRecord,
} from './version-record.js';

export type ModelControlMode = 'none' | 'poll' | 'explicit';

const POLLING_REFUSAL = 'explicit model load / unload is not allowed if polling is enabled';

interface ModelRecord {
  readonly name: string;
  /** Replaced as a whole by a (re)load, so a lease taken before the swap keeps its old version. */
  versions: Map<number, VersionRecord>;
  /** Model-level state when no version record exists (failed config, duplicate, loading; undefined = never loaded). */
  state: ModelState | undefined;
  reason: string;
  /** Composing models of an ensemble, as last loaded (for `unload_dependents`). */
  members: readonly string[];
  /** Temporary file-override directory the current versions were loaded from; removed when they go. */
  tempDir: string | undefined;
  /** Poll mode: the directory's fingerprint when it was last (re)loaded. */
  fingerprint: string | undefined;
  /** Poll mode: the name is in more than one repository (reported once, until that changes). */
  duplicate: boolean;
  /** Load and unload of one model run one after another. */
  busy: Promise<void>;
}

/** Where a load takes the model from: its directory, and the `config` override if any. */
interface LoadSource {
  readonly dir: string;
  readonly config?: ModelConfig;
  /** Set when `dir` is a temporary override directory this load owns. */
  readonly tempDir?: string;
}

export interface RepositoryManagerOptions extends LoaderOptions {
  readonly repositories: readonly string[];
  /** --model-load-thread-count: models loaded in parallel. */
  readonly loadThreadCount?: number;
  readonly log: Logger;
  /** --model-control-mode (default none). */
  readonly controlMode?: ModelControlMode;
  /** --load-model: explicit mode's startup models (`*` = all, alone). */
  readonly startupModels?: readonly string[];
  /** --repository-poll-secs: poll mode's rescan interval (<= 0: no timer; `poll()` still works). */
  readonly pollSecs?: number;
  /** --model-load-retry-count: further attempts after a model (or one of its versions) fails to load. */
  readonly loadRetryCount?: number;
  /** --model-load-on-demand, --model-max-loaded, --model-memory-budget (explicit mode; see residency.ts). */
  readonly residency?: Partial<ResidencyOptions>;
}

export class RepositoryManager implements ModelResolver {
  readonly #options: RepositoryManagerOptions;
  readonly #mode: ModelControlMode;
  readonly #models = new Map<string, ModelRecord>();
  /** Background work (old versions draining, then disposing) that shutdown waits for. */
  readonly #pending = new Set<Promise<void>>();
  #pollTimer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  #stopped = false;
  /** On-demand loads and budgets; undefined when neither is asked for (nothing on the request path then). */
  readonly #residency: ModelResidency | undefined;

  constructor(options: RepositoryManagerOptions) {
    this.#options = options;
    this.#mode = options.controlMode ?? 'none';
    this.#residency = createResidency(options, this.#mode, {
      idle: (name) => this.#idle(name),
      evict: (name, why) => {
        this.#options.log.info('model_lifecycle', `unloading '${name}', the least recently used model, to stay within ${why}`);
        const record = this.#models.get(name);
        if (record !== undefined) this.#unloadRecord(record);
      },
      loadOnDemand: (name, ready) => this.#loadOnDemand(name, ready),
      acquire: (name, version) => this.acquire(name, version),
    });
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
        this.#options.log.error('model_lifecycle', ServerError.from(err).message);
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
      const record = this.#newRecord(loc.name, 'LOADING');
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
      this.#options.log.info('model_lifecycle', `loading: ${name}`);
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
      const reason = this.#memberProblem(name, p);
      const result: ModelLoadResult = reason !== undefined
        ? { versions: [], error: reason }
        : loadEnsemble(name, dirs.get(name)!, p, this.#options, (m) => this.#latestReady(m)!.served!.config!, this.#memberLabels);
      const record = this.#models.get(name)!;
      record.members = members(name);
      if (!this.#record(record, result)) failed.push(name);
    }
    return failed;
  }

  /** Why an ensemble cannot load because of a member (Triton's dependency-node messages), if it cannot. */
  #memberProblem(name: string, p: PreparedEnsemble): string | undefined {
    for (const { name: m, version } of p.members) {
      const record = this.#models.get(m)!;
      const ready = [...record.versions.values()].filter(isReady);
      if (record.versions.size === 0) {
        return `ensemble '${name}' depends on '${m}' which is not valid. Model '${m}' failed with error: ${record.reason}`;
      }
      if (ready.length === 0) {
        const reason = [...record.versions.values()].map(reasonOf).find((r) => r !== '') ?? '';
        return `ensemble '${name}' depends on '${m}' which has no loaded version. Model '${m}' loading failed with error: ${reason}`;
      }
      if (version >= 0 && !ready.some((v) => v.version === version)) {
        return `ensemble '${name}' depends on '${m}' whose required version ${version} is not loaded.`;
      }
    }
    return undefined;
  }

  /** A loaded member output's labels, for the ensembles whose outputs it produces. */
  readonly #memberLabels = (name: string, output: string): readonly string[] | undefined =>
    this.#latestReady(name)?.served?.spec.outputs.find((o) => o.name === output)?.labels;

  #latestReady(name: string): VersionRecord | undefined {
    return latestReady(this.#models.get(name)?.versions.values() ?? []);
  }

  #fail(record: ModelRecord, reason: string, component = 'model_lifecycle'): void {
    record.state = 'UNAVAILABLE';
    record.reason = reason;
    this.#options.log.error(component, component === 'model_lifecycle' ? `failed to load '${record.name}': ${reason}` : reason);
  }

  async #load(record: ModelRecord, dir: string): Promise<boolean> {
    this.#options.log.info('model_lifecycle', `loading: ${record.name}`);
    let result: ModelLoadResult;
    try {
      result = await this.#loadWithRetry(record.name, dir);
    } catch (err) {
      result = { versions: [], error: ServerError.from(err).message }; // no room within the budget
    }
    return this.#record(record, result);
  }

  /**
   * `loadModel` with --model-load-retry-count further attempts while the model or any version fails
   * (a model file still being copied, a backend that needs a second try). Versions that did load in a
   * failed attempt are disposed first, so each attempt starts clean.
   */
  #loadWithRetry(name: string, dir: string, config?: ModelConfig): Promise<ModelLoadResult> {
    if (this.#residency === undefined) return this.#attempts(name, dir, config);
    return this.#residency.load(name, dir, () => this.#attempts(name, dir, config));
  }

  async #attempts(name: string, dir: string, config?: ModelConfig): Promise<ModelLoadResult> {
    const retries = Math.max(0, this.#options.loadRetryCount ?? 0);
    for (let attempt = 0; ; attempt++) {
      const result = await loadModel(name, dir, this.#options, config);
      const failed = result.error !== undefined || result.versions.some((v) => v.error !== undefined);
      if (!failed || attempt >= retries) return result;
      await Promise.all(result.versions.map((v) => v.served?.dispose().catch(() => {})));
      this.#options.log.warning('model_lifecycle', `retrying load of '${name}' (attempt ${attempt + 2} of ${retries + 1})`);
    }
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
      record.versions.set(v.version, versionRecord(v));
      if (v.served === undefined) ok = false;
    }
    return ok;
  }

  acquire(name: string, version: number | undefined): ModelLease {
    const record = this.#models.get(name);
    if (record === undefined) throw ServerError.of('MODEL_UNKNOWN', name);
    if (version === undefined) {
      const v = latestReady(record.versions.values());
      if (v === undefined) throw ServerError.of('MODEL_NO_VERSIONS', name);
      this.#residency?.touch(name);
      return lease(v);
    }
    const v = record.versions.get(version);
    if (v === undefined) throw ServerError.of('MODEL_VERSION_UNKNOWN', name, String(version));
    if (!isReady(v)) throw ServerError.of('MODEL_VERSION_NOT_READY', name, String(version));
    this.#residency?.touch(name);
    return lease(v);
  }

  /**
   * --model-load-on-demand: a model on disk without a READY version loads for the request (a loaded
   * model missing the asked version does not: its version policy decides what serves).
   */
  acquireOnDemand(name: string, version: number | undefined, signal: CancelSignal | undefined): Promise<ModelLease> | undefined {
    if (this.#residency?.loadsOnDemand !== true || this.#stopped || this.#latestReady(name) !== undefined) return undefined;
    if (findModelDirs(this.#options.repositories, name).length === 0) return undefined; // not (or no longer) on disk
    return this.#residency.wait(name, version, signal);
  }

  readyModels(): readonly ServedModel[] {
    const out: ServedModel[] = [];
    for (const record of this.#models.values()) {
      for (const v of record.versions.values()) if (isReady(v) && v.served !== undefined) out.push(v.served);
    }
    return out;
  }

  index(readyOnly: boolean): readonly ModelIndexEntry[] {
    if (this.#mode === 'explicit' && !this.#stopped) {
      try {
        this.#refreshNames();
      } catch (err) {
        this.#options.log.error('model_repository_manager', `failed to scan model repository: ${(err as Error).message}`);
      }
    }
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
        if (readyOnly && !isReady(v)) continue;
        out.push(entry(name, String(v.version), stateOf(v), reasonOf(v)));
      }
    }
    return out;
  }

  allModelsReady(): boolean {
    for (const record of this.#models.values()) {
      if (record.versions.size === 0 && record.state !== undefined) return false;
      for (const v of record.versions.values()) {
        if (v.phase.kind !== 'ready' && v.phase.kind !== 'unloaded') return false;
      }
    }
    return true;
  }

  /**
   * Explicit mode: loads the model (or reloads it when loaded), with the `config` and `file:`
   * overrides of the load API. Ensembles load their composing models first. Resolves once the new
   * versions serve; a failed reload keeps the old versions serving and rejects with the error.
   */
  async load(name: string, parameters: Readonly<Record<string, unknown>>): Promise<void> {
    if (this.#mode !== 'explicit') throw ServerError.unavailable(POLLING_REFUSAL);
    checkLoadModelName(name);
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
    await this.#serialize(record, async () => this.#unloadRecord(record));
    await this.#unloadEnsemblesUsing(name);
    if (parameters.unload_dependents !== true) return;
    for (const m of record.members) {
      const usedElsewhere = [...this.#models.values()].some((other) =>
        other !== record && other.members.includes(m) && this.#latestReady(other.name) !== undefined);
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
    let locations: ModelLocation[];
    try {
      locations = scanRepositories(this.#options.repositories);
    } catch (err) {
      this.#options.log.error('model_repository_manager', `failed to poll model repository: ${(err as Error).message}`);
      return;
    }
    const seen = new Set(locations.map((l) => l.name));
    for (const [name, record] of this.#models) {
      if (seen.has(name)) continue;
      this.#options.log.info('model_lifecycle', `model '${name}' was removed from the repository: unloading`);
      await this.#serialize(record, async () => this.#unloadRecord(record));
      this.#models.delete(name);
      await this.#unloadEnsemblesUsing(name);
    }
    const changed: { record: ModelRecord; dir: string }[] = [];
    for (const loc of locations) {
      let record = this.#models.get(loc.name);
      if (record === undefined) {
        record = this.#newRecord(loc.name, undefined);
        this.#models.set(loc.name, record);
      }
      if (loc.dirs.length > 1) {
        if (!record.duplicate) {
          record.duplicate = true;
          record.fingerprint = undefined;
          this.#fail(record, `model '${loc.name}' appears in multiple model repositories: ${loc.dirs.join(', ')}`, 'model_repository_manager');
        }
        continue;
      }
      record.duplicate = false;
      const fingerprint = modelFingerprint(loc.dirs[0]!);
      if (fingerprint === record.fingerprint) continue;
      record.fingerprint = fingerprint;
      changed.push({ record, dir: loc.dirs[0]! });
    }
    // Other models first (in parallel), then ensembles, which would otherwise load a changed member's old version.
    const ensembles = changed.filter((c) => isEnsembleDir(c.record.name, c.dir, this.#options));
    const others = changed.filter((c) => !ensembles.includes(c));
    await runBounded(others, this.#loadConcurrency, async ({ record, dir }) => {
      await this.#serialize(record, () => this.#loadFrom(record, { dir }, []));
    });
    for (const { record, dir } of ensembles) await this.#serialize(record, () => this.#loadFrom(record, { dir }, []));
  }

  async shutdown(): Promise<void> {
    this.#stopped = true;
    if (this.#pollTimer !== undefined) clearInterval(this.#pollTimer);
    await this.#polling;
    await Promise.all([...this.#models.values()].map((r) => r.busy));
    const all: Promise<void>[] = [];
    for (const record of this.#models.values()) {
      for (const v of record.versions.values()) if (v.served !== undefined && isReady(v)) all.push(this.#unloadVersion(record.name, v));
    }
    await Promise.all(all);
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
    for (const record of this.#models.values()) {
      if (record.tempDir !== undefined) removeOverrideDir(record.tempDir);
      record.tempDir = undefined;
    }
  }

  #newRecord(name: string, state: ModelState | undefined): ModelRecord {
    return {
      name, versions: new Map(), state, reason: '', members: [], tempDir: undefined, fingerprint: undefined, duplicate: false,
      busy: Promise.resolve(),
    };
  }

  /** Runs `fn` after every earlier load/unload of the same model (whatever their outcome). */
  #serialize<T>(record: ModelRecord, fn: () => Promise<T>): Promise<T> {
    const run = record.busy.then(fn, fn);
    record.busy = run.then(() => {}, () => {});
    return run;
  }

  #track(work: Promise<void>): void {
    const p = work.catch((err: unknown) => this.#options.log.error('model_lifecycle', ServerError.from(err).message))
      .finally(() => this.#pending.delete(p));
    this.#pending.add(p);
  }

  /** Explicit mode: a record for every model directory on disk (never-loaded ones show as a bare name). */
  #refreshNames(): void {
    const onDisk = new Set<string>();
    for (const loc of scanRepositories(this.#options.repositories)) {
      onDisk.add(loc.name);
      if (!this.#models.has(loc.name)) this.#models.set(loc.name, this.#newRecord(loc.name, undefined));
    }
    for (const [name, record] of this.#models) {
      const untouched = record.versions.size === 0 && record.state === undefined && record.tempDir === undefined;
      if (untouched && !onDisk.has(name)) this.#models.delete(name);
    }
  }

  /** The model's directory on disk, or the error Triton gives when it cannot be polled. */
  #locate(name: string): string {
    const dirs = findModelDirs(this.#options.repositories, name);
    if (dirs.length === 0) throw ServerError.internal(`failed to load '${name}', failed to poll from model repository`);
    if (dirs.length > 1) {
      throw ServerError.invalidArg(`model '${name}' appears in multiple model repositories: ${dirs.join(', ')}`);
    }
    return dirs[0]!;
  }

  async #loadByName(name: string, parameters: Readonly<Record<string, unknown>>): Promise<void> {
    const overrides = parseLoadOverrides(name, parameters);
    let record = this.#models.get(name);
    if (record === undefined) {
      if (overrides.files.size === 0) this.#locate(name); // throws when it is not on disk
      record = this.#newRecord(name, undefined);
      this.#models.set(name, record);
    }
    const target = record;
    await this.#serialize(target, async () => {
      let source: LoadSource;
      if (overrides.files.size > 0) {
        const tempDir = writeOverrideDir(name, overrides.files);
        source = { dir: tempDir, tempDir, ...(overrides.config === undefined ? {} : { config: overrides.config }) };
      } else {
        source = { dir: this.#locate(name), ...(overrides.config === undefined ? {} : { config: overrides.config }) };
      }
      const error = await this.#loadFrom(target, source, []);
      if (error !== undefined) throw ServerError.invalidArg(error);
    });
  }

  /** On-demand: loads the model in its queue unless it serves by then; `ready` runs as soon as it serves. */
  async #loadOnDemand(name: string, ready: () => void): Promise<void> {
    let record = this.#models.get(name);
    if (record === undefined) this.#models.set(name, (record = this.#newRecord(name, undefined)));
    const target = record;
    await this.#serialize(target, async () => {
      if (this.#latestReady(name) === undefined) {
        const error = await this.#loadFrom(target, { dir: this.#locate(name) }, []);
        if (error !== undefined) throw ServerError.unavailable(error);
      }
      ready();
    });
  }

  /** No request holds a version of the model and no loaded ensemble uses it (it may be evicted). */
  #idle(name: string): boolean {
    for (const v of this.#models.get(name)?.versions.values() ?? []) if (v.leases > 0) return false;
    for (const other of this.#models.values()) {
      if (other.members.includes(name) && this.#latestReady(other.name) !== undefined) return false;
    }
    return true;
  }

  /** Loads a composing model from disk unless a version of it serves already (runs in its queue). */
  async #ensureLoaded(name: string, stack: readonly string[]): Promise<void> {
    const record = this.#models.get(name);
    if (record === undefined) return; // reported as a missing member by the ensemble
    await this.#serialize(record, async () => {
      if (this.#latestReady(name) !== undefined) return;
      let dir: string;
      try {
        dir = this.#locate(name);
      } catch (err) {
        this.#fail(record, ServerError.from(err).message);
        return;
      }
      await this.#loadFrom(record, { dir }, stack);
    });
  }

  /**
   * Loads the model from `source` and swaps it in (see `#swap`). `stack`: the ensembles whose load led
   * here, to stop on cycles. Returns the load error, if any. Must run in the record's queue.
   */
  async #loadFrom(record: ModelRecord, source: LoadSource, stack: readonly string[]): Promise<string | undefined> {
    const name = record.name;
    this.#options.log.info('model_lifecycle', `loading: ${name}`);
    const before = record.state;
    if (record.versions.size === 0) record.state = 'LOADING';
    let result: ModelLoadResult;
    let members: string[] = [];
    if (isEnsembleDir(name, source.dir, this.#options, source.config)) {
      try {
        const p = prepareEnsemble(name, source.dir, this.#options, source.config);
        members = [...new Set(p.members.map((m) => m.name))];
        const cycle = cycleOnPath(name, members, stack);
        if (cycle !== undefined) {
          result = { versions: [], error: cycle };
        } else {
          if (this.#mode === 'explicit') this.#refreshNames();
          for (const m of members) await this.#ensureLoaded(m, [...stack, name]);
          const missing = members.filter((m) => !this.#models.has(m));
          const reason = missing.length > 0 ? missingMembersText(name, missing) : this.#memberProblem(name, p);
          result = reason !== undefined
            ? { versions: [], error: reason }
            : loadEnsemble(name, source.dir, p, this.#options, (m) => this.#latestReady(m)!.served!.config!, this.#memberLabels);
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
    return this.#swap(record, result, source.tempDir, members);
  }

  /**
   * Makes a load result the model's versions in one step. When the new load failed and old versions
   * serve, they keep serving (their index entries carry the failure as reason) and the new pieces are
   * dropped. Otherwise the old served versions are retired: they drain their leases and are disposed
   * in the background, and the override directory they came from goes with them.
   */
  #swap(record: ModelRecord, result: ModelLoadResult, tempDir: string | undefined, members: readonly string[]): string | undefined {
    const name = record.name;
    const failure = loadFailure(name, result);
    const serving = [...record.versions.values()].filter(isReady);
    if (failure !== undefined && serving.length > 0) {
      this.#options.log.error('model_lifecycle', `failed to reload '${name}', the previous version(s) keep serving: ${failure}`);
      const dropped = result.versions.flatMap((v) => (v.served === undefined ? [] : [v.served]));
      this.#track(Promise.all(dropped.map((s) => s.dispose())).then(() => {
        if (tempDir !== undefined) removeOverrideDir(tempDir);
      }));
      for (const v of serving) v.note = failure;
      return failure;
    }
    const next = new Map<number, VersionRecord>();
    for (const v of result.versions) {
      next.set(v.version, versionRecord(v));
    }
    if (result.error === undefined) {
      // Versions no longer selected stay listed as unloaded, as Triton lists them.
      for (const v of record.versions.values()) {
        if (!next.has(v.version)) next.set(v.version, isReady(v) ? v : { ...v, phase: UNLOADED });
      }
    }
    const retiring = serving;
    const oldTemp = record.tempDir;
    record.versions = next;
    record.state = result.error === undefined ? undefined : 'UNAVAILABLE';
    record.reason = result.error ?? '';
    record.members = members;
    const anyServed = result.versions.some((v) => v.served !== undefined);
    record.tempDir = anyServed ? tempDir : undefined;
    if (!anyServed && tempDir !== undefined) removeOverrideDir(tempDir);
    if (result.error !== undefined) this.#options.log.error('model_lifecycle', `failed to load '${name}': ${result.error}`);
    this.#track(Promise.all(retiring.map((v) => this.#unloadVersion(name, v))).then(() => {
      if (oldTemp !== undefined && oldTemp !== record.tempDir) removeOverrideDir(oldTemp);
    }));
    return failure;
  }

  /**
   * An ensemble cannot serve without its composing models: when one goes, loaded ensembles using it
   * (directly or through other ensembles) are unloaded too, as Triton re-checks dependents.
   */
  async #unloadEnsemblesUsing(name: string): Promise<void> {
    for (const record of [...this.#models.values()]) {
      if (!record.members.includes(name) || this.#latestReady(record.name) === undefined) continue;
      this.#options.log.info('model_lifecycle', `unloading '${record.name}': its composing model '${name}' was unloaded`);
      await this.#serialize(record, async () => this.#unloadRecord(record));
      await this.#unloadEnsemblesUsing(record.name);
    }
  }

  /** Starts unloading every served version (draining in the background) and marks the model unloaded. */
  #unloadRecord(record: ModelRecord): void {
    const serving = [...record.versions.values()].filter((v) => isReady(v) && v.served !== undefined);
    if (serving.length > 0) this.#residency?.released(record.name);
    const tempDir = record.tempDir;
    record.tempDir = undefined;
    if (record.versions.size === 0 && record.state !== undefined) {
      record.state = 'UNAVAILABLE';
      record.reason = 'unloaded';
    }
    for (const v of record.versions.values()) {
      if (v.phase.kind === 'failed') v.phase = UNLOADED;
    }
    this.#track(Promise.all(serving.map((v) => this.#unloadVersion(record.name, v))).then(() => {
      if (tempDir !== undefined) removeOverrideDir(tempDir);
    }));
  }

  async #unloadVersion(name: string, v: VersionRecord): Promise<void> {
    const served = v.served!;
    v.phase = UNLOADING;
    await drained(v);
    try {
      await served.dispose();
    } catch (err) {
      this.#options.log.error('model_lifecycle', `error unloading '${name}' version ${v.version}: ${(err as Error).message}`);
    }
    v.served = undefined;
    v.phase = UNLOADED;
    this.#options.log.info('model_lifecycle', `successfully unloaded '${name}' version ${v.version}`);
    if (modelUnloadChannel.hasSubscribers) modelUnloadChannel.publish({ modelName: name, version: v.version } satisfies ModelUnloadMessage);
  }
}

/** The error a load answers with: the model-level error, else every version that did not load. */
function loadFailure(name: string, result: ModelLoadResult): string | undefined {
  if (result.error !== undefined) return result.error;
  const failed = result.versions.filter((v) => v.served === undefined);
  if (failed.length === 0 && result.versions.length > 0) return undefined;
  if (failed.length === 0) return `failed to load '${name}', no version is available`;
  return failed.map((v) => `load failed for model '${name}': version ${v.version} is at UNAVAILABLE state: ${v.error ?? ''};`).join('\n');
}

function entry(name: string, version: string | undefined, state: ModelState | undefined, reason: string): ModelIndexEntry {
  return {
    name,
    ...(version === undefined ? {} : { version }),
    ...(state === undefined ? {} : { state }),
    ...(reason === '' ? {} : { reason }),
  };
}
