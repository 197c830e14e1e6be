/**
 * What is on disk in a Triton model repository (spec §7): model directories across one or more
 * repositories, numeric version directories, the config file and label files.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ServerError } from '../core/index.js';

export interface ModelLocation {
  readonly name: string;
  /** Every repository holding a directory of this name; more than one is an error for the model. */
  readonly dirs: readonly string[];
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Model directories of all repositories, by name (sorted). Hidden entries and plain files are skipped. */
export function scanRepositories(repositories: readonly string[]): ModelLocation[] {
  const byName = new Map<string, string[]>();
  for (const repo of repositories) {
    const root = resolve(repo);
    for (const entry of readdirSync(root)) {
      if (entry.startsWith('.')) continue;
      const dir = join(root, entry);
      if (!isDir(dir)) continue;
      const list = byName.get(entry) ?? [];
      list.push(dir);
      byName.set(entry, list);
    }
  }
  return [...byName.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, dirs]) => ({ name, dirs }));
}

/**
 * The directories of one model across the repositories (what `scanRepositories` would list for it),
 * without reading whole repositories: a load or an on-demand lookup of one name among thousands.
 */
export function findModelDirs(repositories: readonly string[], name: string): string[] {
  if (name === '' || name.startsWith('.') || name.includes('/') || name.includes('\\')) return [];
  return repositories.map((repo) => join(resolve(repo), name)).filter(isDir);
}

/** The model's only directory, or the error Triton gives when it cannot be polled. */
export function locateModel(repositories: readonly string[], name: string): string {
  const dirs = findModelDirs(repositories, name);
  if (dirs.length === 0) throw ServerError.internal(`failed to load '${name}', failed to poll from model repository`);
  if (dirs.length > 1) {
    throw ServerError.invalidArg(`model '${name}' appears in multiple model repositories: ${dirs.join(', ')}`);
  }
  return dirs[0]!;
}

/** Numeric version directory names; names with a leading 0 (other than "0") and non-numeric are ignored, as Triton does. */
export function listVersionDirs(modelDir: string): number[] {
  return readdirSync(modelDir)
    .filter((e) => /^(0|[1-9][0-9]*)$/.test(e) && isDir(join(modelDir, e)))
    .map(Number)
    .filter(Number.isSafeInteger)
    .sort((a, b) => a - b);
}

/** Entries of the lexicographically first version directory (what core auto-complete inspects). */
export function firstVersionEntries(modelDir: string, versions: readonly number[]): string[] {
  const first = versions.map(String).sort()[0];
  return first === undefined ? [] : readdirSync(join(modelDir, first));
}

/**
 * The config file to use: `configs/<configName>.pbtxt` when --model-config-name names one that exists,
 * else `config.pbtxt`; undefined when there is none.
 */
export function configFilePath(modelDir: string, configName: string | undefined): string | undefined {
  if (configName !== undefined && configName !== '') {
    const custom = join(modelDir, 'configs', `${configName}.pbtxt`);
    if (existsSync(custom)) return custom;
  }
  const plain = join(modelDir, 'config.pbtxt');
  return existsSync(plain) ? plain : undefined;
}

/** Label file lines: line i is the label of class i (an empty line means "no label"). */
export function readLabels(path: string): string[] {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
