/**
 * What poll mode compares between scans to decide that a model changed on disk: every file under the
 * model directory with its size and mtime, plus a content hash of small files (configs, labels), so an
 * edit within the filesystem's mtime granularity is still seen.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const HASHED_BYTES = 1 << 20;

export function modelFingerprint(modelDir: string): string {
  const hash = createHash('sha256');
  const walk = (dir: string, rel: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = join(dir, entry);
      const path = rel === '' ? entry : `${rel}/${entry}`;
      let st;
      try {
        st = statSync(full);
      } catch {
        continue;
      }
      if (st.isDirectory()) {
        hash.update(`d:${path}\n`);
        walk(full, path);
        continue;
      }
      hash.update(`f:${path}:${st.size}:${st.mtimeMs}\n`);
      if (st.size <= HASHED_BYTES) {
        try {
          hash.update(readFileSync(full));
        } catch {
          // vanished between stat and read: the next scan sees it
        }
      }
    }
  };
  walk(modelDir, '');
  return hash.digest('hex');
}
