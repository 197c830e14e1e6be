/**
 * Ensembles and their composing models as a dependency graph: which ensembles cannot load because a
 * member is missing or because membership loops back (Triton's texts), and the order to load them in.
 * Start-up sees every ensemble at once (`ensembleBlockers`); a load through the API walks members
 * depth first, carrying the path it came by (`cycleOnPath`). Both word a cycle the same way.
 */

/** An ensemble's member names (deduplicated), or [] for a model that is not an ensemble. */
export type MembersOf = (name: string) => readonly string[];

export const missingMembersText = (name: string, missing: readonly string[]): string =>
  `ensemble ${name} contains models that are not available or ambiguous: ${[...missing].sort().join(', ')}`;

const cycleText = (from: string, last: string): string => `circular dependency between ensembles: ${from} -> ... -> ${last} -> ${from}`;

/**
 * Follows membership from `start`; when a path leads back to it, returns the last ensemble before the
 * loop closes (Triton names it in its message), else undefined.
 */
export function cycleThrough(start: string, members: MembersOf): string | undefined {
  const seen = new Set<string>();
  const visit = (current: string): string | undefined => {
    for (const m of members(current)) {
      if (m === start) return current;
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
    const last = cycleThrough(name, members);
    if (last !== undefined) blocked.set(name, cycleText(name, last));
  }
  return blocked;
}

/**
 * The cycle an API load of `name` (members `members`) would close, given the ensembles whose load led
 * here (`path`, outermost first), as Triton words it from the member it meets again.
 */
export function cycleOnPath(name: string, members: readonly string[], path: readonly string[]): string | undefined {
  const again = members.find((m) => m === name || path.includes(m));
  return again === undefined ? undefined : cycleText(again, name);
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
