/**
 * `parameters { key: "EXECUTION_ENV_PATH" ... }` (spec §10): the model's own Python environment.
 * `$$TRITON_MODEL_DIRECTORY` is replaced by the model directory. The value is either an unpacked
 * environment directory (a venv or an unpacked conda env: anything with `bin/python3` or `bin/python`)
 * or a conda-pack `.tar.gz`/`.tgz`, unpacked once (with the system `tar`) into a cache under the OS temp
 * dir keyed by the archive's path, size and mtime. The stub then runs that environment's interpreter
 * with its `bin` first on PATH. Activation hooks (`etc/conda/activate.d`) are not run.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ModelConfig } from '../../config/types.js';
import { ServerError } from '../../core/index.js';

const run = promisify(execFile);
const MODEL_DIR_VARIABLE = '$$TRITON_MODEL_DIRECTORY';
const UNPACKED_MARKER = '.inferd-unpacked';

export interface ExecutionEnv {
  readonly interpreter: string;
  /** Environment variables for the stub (over the server's own). */
  readonly env: Readonly<Record<string, string>>;
}

/** The model's execution environment, or undefined when the config names none. */
export async function executionEnv(config: ModelConfig, modelDir: string, modelName: string): Promise<ExecutionEnv | undefined> {
  const raw = config.parameters?.['EXECUTION_ENV_PATH']?.string_value;
  if (raw === undefined || raw === '') return undefined;
  const path = raw.split(MODEL_DIR_VARIABLE).join(modelDir);
  const fail = (why: string): ServerError =>
    ServerError.invalidArg(`EXECUTION_ENV_PATH '${path}' of model '${modelName}': ${why}`);
  if (!existsSync(path)) throw fail('no such file or directory');
  let dir = path;
  if (statSync(path).isFile()) {
    if (!/\.(tar\.gz|tgz)$/.test(path)) throw fail('expected a directory or a .tar.gz archive (conda-pack)');
    dir = await unpack(path, fail);
  }
  const interpreter = ['bin/python3', 'bin/python'].map((p) => join(dir, p)).find((p) => existsSync(p));
  if (interpreter === undefined) throw fail(`no bin/python3 or bin/python in '${dir}'`);
  return {
    interpreter,
    env: { PATH: `${join(dir, 'bin')}:${process.env['PATH'] ?? ''}`, CONDA_PREFIX: dir },
  };
}

async function unpack(archive: string, fail: (why: string) => ServerError): Promise<string> {
  const st = statSync(archive);
  const key = createHash('sha256').update(`${archive}\0${st.size}\0${st.mtimeMs}`).digest('hex').slice(0, 16);
  const cache = join(tmpdir(), 'inferd-python-envs');
  const target = join(cache, key);
  if (existsSync(join(target, UNPACKED_MARKER))) return target;
  mkdirSync(cache, { recursive: true });
  // Unpack beside the target and rename, so a half-unpacked tree is never taken for a finished one.
  const scratch = mkdtempSync(join(cache, `${key}-`));
  try {
    await run('tar', ['-xzf', archive, '-C', scratch]);
    writeFileSync(join(scratch, UNPACKED_MARKER), archive);
    rmSync(target, { recursive: true, force: true });
    renameSync(scratch, target);
  } catch (err) {
    rmSync(scratch, { recursive: true, force: true });
    throw fail(`could not unpack: ${(err as Error).message}`);
  }
  return target;
}
