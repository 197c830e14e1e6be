/**
 * The repository manager's side of residency (residency.ts): which models are idle, how one is evicted,
 * and how an on-demand load runs in the model's queue. Kept apart so the manager only wires it.
 */
import { ServerError, type ModelLease } from '../core/index.js';
import type { Logger } from '../observability/log.js';
import { locateModel } from './layout.js';
import { latestReadyOf, newRecord, serialize, type ModelRecord, type ModelTable } from './model-records.js';
import type { ResidencyHost } from './residency.js';

export interface ManagerParts {
  readonly table: ModelTable;
  readonly repositories: readonly string[];
  readonly log: Logger;
  /** Unloads the model (in-flight requests finish first). */
  retire(record: ModelRecord): void;
  /** Loads the model from its directory (in its queue); resolves with the load error, if any. */
  loadFrom(record: ModelRecord, dir: string): Promise<string | undefined>;
  acquire(name: string, version: number | undefined): ModelLease;
}

export function residencyHost(parts: ManagerParts): ResidencyHost {
  const { table } = parts;
  return {
    // No request holds a version of the model and no loaded ensemble uses it.
    idle(name) {
      for (const v of table.get(name)?.versions.values() ?? []) if (v.leases > 0) return false;
      for (const other of table.values()) {
        if (other.members.includes(name) && latestReadyOf(table, other.name) !== undefined) return false;
      }
      return true;
    },
    evict(name, why) {
      parts.log.info('model_lifecycle', `unloading '${name}', the least recently used model, to stay within ${why}`);
      const record = table.get(name);
      if (record !== undefined) parts.retire(record);
    },
    // In the model's queue, unless it serves by then; `ready` runs as soon as it serves.
    async loadOnDemand(name, ready) {
      let record = table.get(name);
      if (record === undefined) table.set(name, (record = newRecord(name, undefined)));
      const target = record;
      await serialize(target, async () => {
        if (latestReadyOf(table, name) === undefined) {
          const error = await parts.loadFrom(target, locateModel(parts.repositories, name));
          if (error !== undefined) throw ServerError.unavailable(error);
        }
        ready();
      });
    },
    acquire: (name, version) => parts.acquire(name, version),
  };
}
