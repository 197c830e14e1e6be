/**
 * `--backend-config` entries, as tritonserver reads them: `<backend>,<setting>=<value>` for one backend,
 * `<setting>=<value>` for every backend. A backend sees the global settings overlaid by its own.
 */
import { ConfigError } from './errors.js';

export interface BackendConfigLookup {
  /** Settings for `name`: global entries, then `name`'s own (which win). A fresh object per call. */
  forBackend(name: string): Record<string, string>;
}

export function parseBackendConfig(entries: readonly string[]): BackendConfigLookup {
  const global: Record<string, string> = {};
  const perBackend = new Map<string, Record<string, string>>();
  for (const entry of entries) {
    const comma = entry.indexOf(',');
    const eq = entry.indexOf('=');
    // A comma after the first '=' belongs to the value (`k=a,b`), so it does not name a backend.
    const hasBackend = comma >= 0 && (eq < 0 || comma < eq);
    if (hasBackend && comma === 0) {
      throw new ConfigError(
        `No backend specified. --backend-config option format is <backend name>,<setting>=<value> or <setting>=<value>. Got ${entry}`,
      );
    }
    const setting = hasBackend ? entry.slice(comma + 1) : entry;
    const settingEq = setting.indexOf('=');
    if (settingEq <= 0) {
      throw new ConfigError(
        `--backend-config option format is <backend name>,<setting>=<value> or <setting>=<value>. Got ${entry}`,
      );
    }
    const target = hasBackend ? perBackend.get(entry.slice(0, comma)) ?? {} : global;
    target[setting.slice(0, settingEq)] = setting.slice(settingEq + 1);
    if (hasBackend) perBackend.set(entry.slice(0, comma), target);
  }
  return {
    forBackend: (name) => ({ ...global, ...(perBackend.get(name) ?? {}) }),
  };
}
