/** Builds throw-away model repositories on disk for tests: `{ 'm/config.pbtxt': '...', 'm/1/': null }`. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export type RepoFiles = Record<string, string | Uint8Array | null>;

export function makeRepo(files: RepoFiles): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-repo-'));
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path);
    if (content === null) {
      mkdirSync(full, { recursive: true });
      continue;
    }
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** config.pbtxt of an identity-backend model: FP32 INPUT0 -> OUTPUT0 with the given dims. */
export function identityConfig(extra = '', dims = '[ -1 ]', maxBatch = 8): string {
  return [
    'backend: "identity"',
    `max_batch_size: ${maxBatch}`,
    `input [ { name: "INPUT0" data_type: TYPE_FP32 dims: ${dims} } ]`,
    `output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: ${dims} } ]`,
    extra,
  ].join('\n');
}

export function fp32(values: readonly number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

export function readFp32(data: Uint8Array): number[] {
  return [...new Float32Array(data.slice().buffer)];
}
