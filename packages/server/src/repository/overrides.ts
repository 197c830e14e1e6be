/**
 * The repository load API's overrides (spec §4.5): `config` (ModelConfig JSON text, parsed and
 * checked like a config file on disk) and `file:<version>/<path>` contents (base64, as HTTP sends
 * them; the gRPC frontend encodes its bytes the same way), which Triton writes into a fresh temporary
 * model directory that replaces the model's directory for that load.
 *
 * Security: every file name is checked before anything is written: no absolute paths, no `..`
 * segments, no NUL, and the resolved path must stay inside the temporary directory. Files are created
 * with O_EXCL (`wx`), so nothing can be written through a symlink, and the directory is fresh.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ServerError } from '../core/index.js';
import { ConfigError, parseModelConfigJson, type ModelConfig } from '../config/index.js';

export interface LoadOverrides {
  readonly config: ModelConfig | undefined;
  /** Relative path inside the model directory -> contents. */
  readonly files: ReadonlyMap<string, Buffer>;
}

const FILE_PREFIX = 'file:';

/** Reads `config` and `file:` parameters; other parameters are ignored, as Triton ignores them. */
export function parseLoadOverrides(name: string, parameters: Readonly<Record<string, unknown>>): LoadOverrides {
  let config: ModelConfig | undefined;
  const files = new Map<string, Buffer>();
  for (const [key, value] of Object.entries(parameters)) {
    if (key === 'config') {
      if (typeof value !== 'string') throw ServerError.invalidArg(`invalid value type for load parameter 'config', expected string`);
      config = parseConfigOverride(name, value);
    } else if (key.startsWith(FILE_PREFIX)) {
      const path = checkOverridePath(key.slice(FILE_PREFIX.length));
      if (typeof value !== 'string') throw ServerError.invalidArg(`invalid value type for load parameter '${key}', expected bytes`);
      files.set(path, Buffer.from(value, 'base64'));
    }
  }
  if (files.size > 0 && config === undefined) {
    throw ServerError.invalidArg("Load parameter 'config' must be specified for model file override");
  }
  return { config, files };
}

function parseConfigOverride(name: string, text: string): ModelConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw ServerError.invalidArg(`failed to load '${name}': 'config' parameter is not valid JSON: ${(err as Error).message}`);
  }
  try {
    return parseModelConfigJson(json);
  } catch (err) {
    if (err instanceof ConfigError) throw ServerError.invalidArg(`failed to load '${name}': invalid 'config' parameter: ${err.message}`);
    throw err;
  }
}

/**
 * A `file:` name as a normalized relative path, or INVALID_ARG when it could leave the model
 * directory. Checked on the text (no filesystem access), before anything is written.
 */
export function checkOverridePath(raw: string): string {
  const reject = (why: string): never => {
    throw ServerError.invalidArg(`invalid model file override '${FILE_PREFIX}${raw}': ${why}`);
  };
  if (raw === '') reject('empty path');
  if (raw.includes('\0')) reject('path contains a NUL character');
  if (isAbsolute(raw) || raw.startsWith('\\') || /^[A-Za-z]:/.test(raw)) reject('absolute paths are not allowed');
  const parts = raw.split(/[\\/]+/);
  if (parts.some((p) => p === '..')) reject("'..' is not allowed: the file must stay inside the model directory");
  const clean = parts.filter((p) => p !== '' && p !== '.');
  if (clean.length === 0) reject('the path names no file');
  const rel = clean.join('/');
  const root = resolve('/override-root');
  const target = resolve(root, rel);
  if (relative(root, target).startsWith('..') || !target.startsWith(root + sep)) reject('the path resolves outside the model directory');
  return rel;
}

/**
 * Writes the override files into a fresh temporary directory and returns it (the caller removes it
 * with `removeOverrideDir` when the model unloads or is replaced). Nothing is left behind on error.
 */
export function writeOverrideDir(name: string, files: ReadonlyMap<string, Buffer>): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), `inferd-override-${name.replace(/[^A-Za-z0-9_.-]/g, '_')}-`)));
  try {
    for (const [rel, data] of files) {
      const target = resolve(dir, rel);
      if (!target.startsWith(dir + sep)) throw ServerError.invalidArg(`invalid model file override '${FILE_PREFIX}${rel}': the path resolves outside the model directory`);
      mkdirSync(dirname(target), { recursive: true });
      // The parent, resolved through any links, must still be inside the directory.
      const parent = realpathSync(dirname(target));
      if (parent !== dir && !parent.startsWith(dir + sep)) {
        throw ServerError.invalidArg(`invalid model file override '${FILE_PREFIX}${rel}': the path resolves outside the model directory`);
      }
      writeFileSync(target, data, { flag: 'wx' });
    }
  } catch (err) {
    removeOverrideDir(dir);
    if (err instanceof ServerError) throw err;
    throw ServerError.invalidArg(`failed to write model file override: ${(err as Error).message}`);
  }
  return dir;
}

export function removeOverrideDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
