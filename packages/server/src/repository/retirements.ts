/**
 * Retiring versions in the background: a version that is unloaded or replaced refuses new leases at
 * once, drains the leases it has, then is disposed. Loads and unloads do not wait for that (as
 * Triton's unload does not); shutdown does, through `settle`. A model's retirement takes its
 * versions, its override directory, and the loaded ensembles that use it.
 */
import { modelUnloadChannel, type ModelUnloadMessage } from '../core/diagnostics.js';
import { ServerError } from '../core/index.js';
import type { Logger } from '../observability/log.js';
import { latestReadyOf, serialize, type ModelRecord, type ModelTable } from './model-records.js';
import { removeOverrideDir } from './overrides.js';
import { drained, isReady, UNLOADED, UNLOADING, type VersionRecord } from './version-record.js';

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
}
