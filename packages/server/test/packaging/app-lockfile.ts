/**
 * A package-lock.json for an empty project that depends on the packed workspace tarballs, with every other
 * package pinned to the version (and tarball integrity) of the workspace's own lockfile. `npm ci` of the
 * workspace leaves those tarballs in the npm cache but not the registry's package documents, so a plain
 * `npm install --offline` cannot resolve the tarballs' version ranges; with this lockfile `npm ci --offline`
 * installs the same dependency tree the tests run on, without the network.
 */

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
}

export interface WorkspaceLock {
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
}

/** One packed workspace package: its package.json and where its tarball lies relative to the project. */
export interface PackedPackage {
  manifest: LockEntry & { name: string; version: string };
  /** `file:` spec of the tarball as the project's package.json names it. */
  spec: string;
  integrity: string;
}

/** The lockfile path npm resolves `name` to when required from the package at `from` (Node's lookup). */
function resolveFrom(lock: WorkspaceLock, from: string, name: string): string | undefined {
  for (let dir = from; ; ) {
    const candidate = dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
    if (lock.packages[candidate] !== undefined) return candidate;
    if (dir === '') return undefined;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut < 0 ? '' : dir.slice(0, cut);
  }
}

function runtimeDeps(entry: LockEntry): string[] {
  const optionalPeers = Object.entries(entry.peerDependenciesMeta ?? {}).filter(([, m]) => m.optional).map(([n]) => n);
  return [
    ...Object.keys(entry.dependencies ?? {}),
    ...Object.keys(entry.optionalDependencies ?? {}),
    ...Object.keys(entry.peerDependencies ?? {}).filter((n) => !optionalPeers.includes(n)),
  ];
}

export function appLockfile(lock: WorkspaceLock, packed: readonly PackedPackage[], appName: string): object {
  const packages: Record<string, LockEntry> = {
    '': { name: appName, version: '1.0.0', dependencies: Object.fromEntries(packed.map((p) => [p.manifest.name, p.spec])) },
  };
  const packedNames = new Set(packed.map((p) => p.manifest.name));
  const pending: Array<{ from: string; name: string }> = [];
  for (const p of packed) {
    const { name, version, dependencies, bin, engines, license } = p.manifest;
    packages[`node_modules/${name}`] = {
      version, resolved: p.spec, integrity: p.integrity, license,
      ...(dependencies === undefined ? {} : { dependencies }), ...(bin === undefined ? {} : { bin }), engines,
    };
    for (const dep of Object.keys(dependencies ?? {})) pending.push({ from: `node_modules/${name}`, name: dep });
  }
  while (pending.length > 0) {
    const { from, name } = pending.pop()!;
    if (packedNames.has(name)) continue;
    // the packed packages sit at the top in the project; their own deps resolve from the workspace root
    const path = resolveFrom(lock, packedNames.has(from.slice('node_modules/'.length)) ? '' : from, name);
    if (path === undefined) {
      const optional = lock.packages[from]?.optionalDependencies?.[name] !== undefined;
      if (optional) continue;
      throw new Error(`${from} needs ${name}, which the workspace lockfile does not hold`);
    }
    if (packages[path] !== undefined) continue;
    const { dev: _dev, devOptional: _devOptional, ...entry } = lock.packages[path]!;
    packages[path] = entry;
    for (const dep of runtimeDeps(entry)) pending.push({ from: path, name: dep });
  }
  return { name: appName, version: '1.0.0', lockfileVersion: 3, requires: true, packages };
}
