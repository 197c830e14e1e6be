/** Version policy selection (Triton's ModelRepositoryManager VersionsToLoad). */
import type { ModelVersionPolicy } from './types.js';

/**
 * The versions a policy serves out of those on disk, ascending. No policy = latest 1 (Triton's default).
 * `latest { }` with no `num_versions` serves nothing, as in Triton (the load then fails).
 */
export function selectVersions(policy: ModelVersionPolicy | undefined, available: readonly number[]): number[] {
  const sorted = [...new Set(available)].sort((a, b) => a - b);
  if (policy === undefined) return sorted.slice(-1);
  if (policy.all !== undefined) return sorted;
  if (policy.specific !== undefined) {
    const wanted = new Set(policy.specific.versions ?? []);
    return sorted.filter((v) => wanted.has(v));
  }
  const n = policy.latest?.num_versions ?? (policy.latest === undefined ? 1 : 0);
  return n <= 0 ? [] : sorted.slice(-n);
}
