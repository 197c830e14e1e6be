/**
 * The manager's table of models: one record per model name (its version map, the model-level state,
 * the members it was loaded with, its queue of loads and unloads), and the read-only views over the
 * table: leases for requests, the repository index, readiness, the ready models, and why an
 * ensemble's members keep it from loading. The manager decides what happens to records; the few
 * steps here that change one (a load's versions stored, a poll's comparison) only record its decision.
 */
import {
  ServerError, type ModelIndexEntry, type ModelLease, type ModelState, type ServedModel,
} from '../core/index.js';
import { modelFingerprint } from './fingerprint.js';
import { scanRepositories, type ModelLocation } from './layout.js';
import type { ModelLoadResult, PreparedEnsemble } from './model-loader.js';
import { isReady, latestReady, lease, reasonOf, stateOf, versionRecord, type VersionRecord } from './version-record.js';

export interface ModelRecord {
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

export type ModelTable = Map<string, ModelRecord>;

export function newRecord(name: string, state?: ModelState): ModelRecord {
  return {
    name, versions: new Map(), state, reason: '', members: [], tempDir: undefined, fingerprint: undefined,
    duplicate: false, busy: Promise.resolve(),
  };
}

/** Runs `fn` after every earlier load/unload of the same model (whatever their outcome). */
export function serialize<T>(record: ModelRecord, fn: () => Promise<T>): Promise<T> {
  const run = record.busy.then(fn, fn);
  record.busy = run.then(() => {}, () => {});
  return run;
}

/** Explicit mode: a record for every model directory on disk (never-loaded ones show as a bare name). */
export function refreshNames(table: ModelTable, repositories: readonly string[]): void {
  const onDisk = new Set<string>();
  for (const loc of scanRepositories(repositories)) {
    onDisk.add(loc.name);
    if (!table.has(loc.name)) table.set(loc.name, newRecord(loc.name));
  }
  for (const [name, record] of table) {
    const untouched = record.versions.size === 0 && record.state === undefined && record.tempDir === undefined;
    if (untouched && !onDisk.has(name)) table.delete(name);
  }
}

/** A successful load's versions into the record (model-level state cleared); true when every version is READY. */
export function storeVersions(record: ModelRecord, result: ModelLoadResult): boolean {
  record.state = undefined;
  record.reason = '';
  let ok = true;
  for (const v of result.versions) {
    record.versions.set(v.version, versionRecord(v));
    if (v.served === undefined) ok = false;
  }
  return ok;
}

/** What a poll's scan changes: models gone from disk, names newly in several repositories, new or changed directories. */
export interface PollChanges {
  readonly removed: readonly ModelRecord[];
  readonly duplicated: readonly { readonly record: ModelRecord; readonly dirs: readonly string[] }[];
  readonly changed: readonly { readonly record: ModelRecord; readonly dir: string }[];
}

/**
 * Compares a scan with the table: new names get a record, a name in several repositories is reported
 * once (until that changes), a directory whose fingerprint changed is to be (re)loaded.
 */
export function comparePoll(table: ModelTable, locations: readonly ModelLocation[]): PollChanges {
  const seen = new Set(locations.map((l) => l.name));
  const removed = [...table.values()].filter((r) => !seen.has(r.name));
  const duplicated: { record: ModelRecord; dirs: readonly string[] }[] = [];
  const changed: { record: ModelRecord; dir: string }[] = [];
  for (const loc of locations) {
    let record = table.get(loc.name);
    if (record === undefined) {
      record = newRecord(loc.name);
      table.set(loc.name, record);
    }
    if (loc.dirs.length > 1) {
      if (!record.duplicate) {
        record.duplicate = true;
        record.fingerprint = undefined;
        duplicated.push({ record, dirs: loc.dirs });
      }
      continue;
    }
    record.duplicate = false;
    const fingerprint = modelFingerprint(loc.dirs[0]!);
    if (fingerprint === record.fingerprint) continue;
    record.fingerprint = fingerprint;
    changed.push({ record, dir: loc.dirs[0]! });
  }
  return { removed, duplicated, changed };
}

export function latestReadyOf(table: ModelTable, name: string): VersionRecord | undefined {
  return latestReady(table.get(name)?.versions.values() ?? []);
}

/** A lease on the requested version (undefined = the latest ready one), or the error Triton gives. */
export function acquire(table: ModelTable, name: string, version: number | undefined): ModelLease {
  const record = table.get(name);
  if (record === undefined) throw ServerError.of('MODEL_UNKNOWN', name);
  if (version === undefined) {
    const v = latestReady(record.versions.values());
    if (v === undefined) throw ServerError.of('MODEL_NO_VERSIONS', name);
    return lease(v);
  }
  const v = record.versions.get(version);
  if (v === undefined) throw ServerError.of('MODEL_VERSION_UNKNOWN', name, String(version));
  if (!isReady(v)) throw ServerError.of('MODEL_VERSION_NOT_READY', name, String(version));
  return lease(v);
}

export function readyModels(table: ModelTable): readonly ServedModel[] {
  const out: ServedModel[] = [];
  for (const record of table.values()) {
    for (const v of record.versions.values()) if (isReady(v) && v.served !== undefined) out.push(v.served);
  }
  return out;
}

/** The repository index: one entry per version (by name, then version), or per model without versions. */
export function indexEntries(table: ModelTable, readyOnly: boolean): readonly ModelIndexEntry[] {
  const out: ModelIndexEntry[] = [];
  for (const name of [...table.keys()].sort()) {
    const record = table.get(name)!;
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

/** --strict-readiness: no model failed and no version is between states. */
export function allModelsReady(table: ModelTable): boolean {
  for (const record of table.values()) {
    if (record.versions.size === 0 && record.state !== undefined) return false;
    for (const v of record.versions.values()) {
      if (v.phase.kind !== 'ready' && v.phase.kind !== 'unloaded') return false;
    }
  }
  return true;
}

/** Why an ensemble cannot load because of a member (Triton's dependency-node messages), if it cannot. */
export function memberProblem(table: ModelTable, name: string, p: PreparedEnsemble): string | undefined {
  for (const { name: m, version } of p.members) {
    const record = table.get(m)!;
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

/** The error a load answers with: the model-level error, else every version that did not load. */
export function loadFailure(name: string, result: ModelLoadResult): string | undefined {
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
