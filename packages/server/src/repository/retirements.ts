/**
 * Retiring versions in the background: a version that is unloaded or replaced refuses new leases at
 * once, drains the leases it has, then is disposed. Loads and unloads do not wait for that (as
 * Triton's unload does not); shutdown does, through `settle`. A model's retirement takes its
 * versions, its override directory, and the loaded ensembles that use it. `swapIn` makes a load's
 * result a model's versions and retires the ones it replaces.
 */
import { modelUnloadChannel, type ModelUnloadMessage } from '../core/diagnostics.js';
import { ServerError } from '../core/index.js';
import type { Logger } from '../observability/log.js';
import { latestReadyOf, loadFailure, serialize, type ModelRecord, type ModelTable } from './model-records.js';
import type { ModelLoadResult } from './model-loader.js';
import { removeOverrideDir } from './overrides.js';
import { drained, isReady, UNLOADED, UNLOADING, versionRecord, type VersionRecord } from './version-record.js';

export class Retirements {
  readonly #log: Logger;
  readonly #pending = new Set<Promise<void>>();

  constructor(log: Logger) {
    this.#log = log;
  }

  /** Keeps `work` for `settle`; its failure is logged, never thrown. */
  track(work: Promise<void>): void {
    const p = work.catch((err: unknown) => this.#log.error('model_lifecycle', ServerError.from(err).message))
      .finally(() => this.#pending.delete(p));
    this.#pending.add(p);
  }

  /** UNLOADING until the leases drain, then disposed and UNLOADED (a dispose error is logged). */
  async unloadVersion(name: string, v: VersionRecord): Promise<void> {
    const served = v.served!;
    v.phase = UNLOADING;
    await drained(v);
    try {
      await served.dispose();
    } catch (err) {
      this.#log.error('model_lifecycle', `error unloading '${name}' version ${v.version}: ${(err as Error).message}`);
    }
    v.served = undefined;
    v.phase = UNLOADED;
    this.#log.info('model_lifecycle', `successfully unloaded '${name}' version ${v.version}`, { model: name, version: v.version, state: 'UNAVAILABLE' });
    if (modelUnloadChannel.hasSubscribers) modelUnloadChannel.publish({ modelName: name, version: v.version } satisfies ModelUnloadMessage);
  }

  /** Starts unloading every served version (draining in the background) and marks the model unloaded. */
  retireRecord(record: ModelRecord): void {
    const serving = [...record.versions.values()].filter((v) => isReady(v) && v.served !== undefined);
    const tempDir = record.tempDir;
    record.tempDir = undefined;
    if (record.versions.size === 0 && record.state !== undefined) {
      record.state = 'UNAVAILABLE';
      record.reason = 'unloaded';
    }
    for (const v of record.versions.values()) {
      if (v.phase.kind === 'failed') v.phase = UNLOADED;
    }
    this.track(Promise.all(serving.map((v) => this.unloadVersion(record.name, v))).then(() => {
      if (tempDir !== undefined) removeOverrideDir(tempDir);
    }));
  }

  /**
   * An ensemble cannot serve without its composing models: when one goes, loaded ensembles using it
   * (directly or through other ensembles) are unloaded too, as Triton re-checks dependents.
   */
  async retireEnsemblesUsing(table: ModelTable, name: string): Promise<void> {
    for (const record of [...table.values()]) {
      if (!record.members.includes(name) || latestReadyOf(table, record.name) === undefined) continue;
      this.#log.info('model_lifecycle', `unloading '${record.name}': its composing model '${name}' was unloaded`);
      await serialize(record, async () => this.retireRecord(record));
      await this.retireEnsemblesUsing(table, record.name);
    }
  }

  /** Resolves once every tracked piece of work, including work tracked meanwhile, has finished. */
  async settle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  /**
   * Makes a load result the model's versions in one step. When the new load failed and old versions
   * serve, they keep serving (their index entries carry the failure as reason) and the new pieces are
   * dropped. Otherwise the old served versions are retired: they drain their leases and are disposed
   * in the background, and the override directory they came from goes with them.
   */
  swapIn(record: ModelRecord, result: ModelLoadResult, tempDir: string | undefined, members: readonly string[]): string | undefined {
    const name = record.name;
    const failure = loadFailure(name, result);
    const serving = [...record.versions.values()].filter(isReady);
    if (failure !== undefined && serving.length > 0) {
      this.#log.error('model_lifecycle', `failed to reload '${name}', the previous version(s) keep serving: ${failure}`);
      const dropped = result.versions.flatMap((v) => (v.served === undefined ? [] : [v.served]));
      this.track(Promise.all(dropped.map((s) => s.dispose())).then(() => {
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
    if (result.error !== undefined) this.#log.error('model_lifecycle', `failed to load '${name}': ${result.error}`, { model: name, state: 'UNAVAILABLE' });
    this.track(Promise.all(retiring.map((v) => this.unloadVersion(name, v))).then(() => {
      if (oldTemp !== undefined && oldTemp !== record.tempDir) removeOverrideDir(oldTemp);
    }));
    return failure;
  }
}
