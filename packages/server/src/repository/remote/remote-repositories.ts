/**
 * `--model-repository` paths as the manager sees them: local paths stay as they are; each `s3://` path
 * becomes a local copy (s3-mirror.ts) that `sync()` brings up to date before every scan — at start, on
 * each poll and before an explicit load — so remote repositories behave as local ones.
 *
 * The copies live under TRITON_AWS_MOUNT_DIRECTORY when it is set (Triton's variable; kept across
 * restarts, so a restart downloads only what changed), else in a temporary directory removed at shutdown.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../observability/log.js';
import { isS3Path, parseS3Path } from './s3-location.js';
import type { S3Mirror } from './s3-mirror.js';

export interface RepositoryPaths {
  /** The directories to scan, in the order given (a remote path's local copy in its place). */
  readonly dirs: readonly string[];
  /** Updates every remote copy; rejects with the first failure (nothing but that copy is left stale). */
  sync(): Promise<void>;
  /** Removes temporary copies. */
  close(): void;
  readonly remote: boolean;
}

export async function openRepositories(paths: readonly string[], log: Logger, env = process.env): Promise<RepositoryPaths> {
  if (!paths.some(isS3Path)) return { dirs: paths, sync: async () => {}, close: () => {}, remote: false };
  // Only servers with a remote repository load the mirror (and, on its first sync, the AWS SDK).
  const { S3Mirror } = await import('./s3-mirror.js');
  const mount = env.TRITON_AWS_MOUNT_DIRECTORY;
  const temp = mount === undefined || mount === '' ? mkdtempSync(join(tmpdir(), 'inferd-s3-')) : undefined;
  const mirrors: S3Mirror[] = [];
  const dirs = paths.map((p) => {
    if (!isS3Path(p)) return p;
    const root = join(temp ?? mount!, createHash('sha256').update(p).digest('hex').slice(0, 16));
    const mirror = new S3Mirror(parseS3Path(p), root);
    mirrors.push(mirror);
    return mirror.dir;
  });
  let running: Promise<void> | undefined;
  const syncAll = async (): Promise<void> => {
    for (const m of mirrors) {
      const r = await m.sync();
      if (r.downloaded > 0 || r.removed > 0) {
        log.info('model_repository_manager', `synced ${m.location.url} to ${m.dir}: ${r.downloaded} downloaded, ${r.removed} removed, ${r.files} files`,
          { repository: m.location.url, downloaded: r.downloaded, removed: r.removed, files: r.files });
      }
    }
  };
  return {
    dirs,
    remote: true,
    // One sync at a time: a poll and an explicit load arriving together share it.
    sync: () => (running ??= syncAll().finally(() => (running = undefined))),
    close: () => {
      if (temp !== undefined) rmSync(temp, { recursive: true, force: true });
    },
  };
}
