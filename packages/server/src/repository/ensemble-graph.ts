/**
 * Ensembles and their composing models as a dependency graph: which ensembles cannot load because a
 * member is missing or because membership loops back (Triton's texts), and the order to load them in.
 * Start-up sees every ensemble at once (`ensembleBlockers`); a load through the API walks members
 * depth first, carrying the path it came by. Both ask `cycleFrom`, so a loop is found and worded once.
 */

/** An ensemble's member names (deduplicated), or [] for a model that is not an ensemble. */
export type MembersOf = (name: string) => readonly string[];

export const missingMembersText = (name: string, missing: readonly string[]): string =>
  `ensemble ${name} contains models that are not available or ambiguous: ${[...missing].sort().join(', ')}`;

const cycleText = (from: string, last: string): string => `circular dependency between ensembles: ${from} -> ... -> ${last} -> ${from}`;

/**
 * The one cycle check. Walks membership depth first from `start`; `path` holds the ensembles whose
 * loading led to `start` (outermost first; empty at start-up). When a member is `start` or on `path`,
 * the loop closes there: the text names that member and the ensemble that uses it, as Triton does.
 * Loops that never come back to `start` or `path` are left to the ensembles on them.
 */
export function cycleFrom(start: string, members: MembersOf, path: readonly string[] = []): string | undefined {
  const roots = new Set([...path, start]);
  const seen = new Set<string>();
  const visit = (current: string): string | undefined => {
    for (const m of members(current)) {
      if (roots.has(m)) return cycleText(m, current);
      if (seen.has(m)) continue;
      seen.add(m);
      const found = visit(m);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return visit(start);
}

/** Why each of `ensembles` cannot load: a member that does not exist, else a cycle through it. */
export function ensembleBlockers(
  ensembles: Iterable<string>, members: MembersOf, exists: (name: string) => boolean,
): Map<string, string> {
  const blocked = new Map<string, string>();
  const all = [...ensembles];
  for (const name of all) {
    const missing = members(name).filter((m) => !exists(m));
    if (missing.length > 0) blocked.set(name, missingMembersText(name, missing));
  }
  for (const name of all) {
    if (blocked.has(name)) continue;
    const cycle = cycleFrom(name, members);
    if (cycle !== undefined) blocked.set(name, cycle);
  }
  return blocked;
}

/** Ensembles in an order where every ensemble comes after the ensembles it uses (cycles excluded first). */
export function membersFirst(ensembles: Iterable<string>, members: MembersOf): string[] {
  const left = new Set(ensembles);
  const order: string[] = [];
  while (left.size > 0) {
    const next = [...left].find((n) => members(n).every((m) => !left.has(m)));
    if (next === undefined) break; // only a cycle, which ensembleBlockers reports
    left.delete(next);
    order.push(next);
  }
  return order;
}
