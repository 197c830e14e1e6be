/**
 * One version of a model as the manager tracks it, and the leases requests hold on it. A version
 * record exists once its load finished (a model that is still loading, or failed before any version,
 * has only a model-level state). Its phase is one of:
 *
 *   ready ──unload/retire──▶ unloading (new leases refused; in-flight ones drain) ──disposed──▶ unloaded
 *   failed (its load failed; its error is the reason)  ──unload──▶ unloaded
 *
 * The index shows READY / UNLOADING / UNAVAILABLE with the reason: a failed load's error, "unloaded",
 * or for a ready version the error of a reload that failed while it kept serving.
 */
import { ServerError, type ModelLease, type ModelState } from '../core/index.js';
import type { VersionLoadResult } from './model-loader.js';
import type { ServedVersion } from './served-version.js';

export type VersionPhase =
  | { readonly kind: 'ready' }
  | { readonly kind: 'unloading' }
  | { readonly kind: 'failed'; readonly error: string }
  | { readonly kind: 'unloaded' };

export interface VersionRecord {
  readonly version: number;
  phase: VersionPhase;
  /** A ready version's note: why the reload that should have replaced it failed ('' when none). */
  note: string;
  served: ServedVersion | undefined;
  leases: number;
  onDrained: (() => void) | undefined;
}

const READY: VersionPhase = { kind: 'ready' };
export const UNLOADED: VersionPhase = { kind: 'unloaded' };
export const UNLOADING: VersionPhase = { kind: 'unloading' };

/** A freshly loaded (or failed) version, before any lease. */
export function versionRecord(v: VersionLoadResult): VersionRecord {
  return {
    version: v.version,
    phase: v.served !== undefined ? READY : { kind: 'failed', error: v.error ?? '' },
    note: '',
    served: v.served,
    leases: 0,
    onDrained: undefined,
  };
}

export const isReady = (v: VersionRecord): boolean => v.phase.kind === 'ready';

/** The state the repository index and the readiness APIs report. */
export function stateOf(v: VersionRecord): ModelState {
  switch (v.phase.kind) {
    case 'ready': return 'READY';
    case 'unloading': return 'UNLOADING';
    default: return 'UNAVAILABLE';
  }
}

export function reasonOf(v: VersionRecord): string {
  switch (v.phase.kind) {
    case 'ready': return v.note;
    case 'unloading': return '';
    case 'failed': return v.phase.error;
    case 'unloaded': return 'unloaded';
  }
}

/** The highest ready version: what a request without a version, and an ensemble step at -1, get. */
export function latestReady(versions: Iterable<VersionRecord>): VersionRecord | undefined {
  let best: VersionRecord | undefined;
  for (const v of versions) if (isReady(v) && (best === undefined || v.version > best.version)) best = v;
  return best;
}

/** A lease on a ready version; once the version retires, its last release lets the dispose go on. */
export function lease(v: VersionRecord): ModelLease {
  if (!isReady(v) || v.served === undefined) throw ServerError.internal(`version ${v.version} is not ready to lease`);
  const served = v.served;
  v.leases += 1;
  let released = false;
  return {
    model: served,
    release: () => {
      if (released) return;
      released = true;
      v.leases -= 1;
      if (v.leases === 0) v.onDrained?.();
    },
  };
}

/** Waits for the version's leases to drain. */
export function drained(v: VersionRecord): Promise<void> {
  if (v.leases === 0) return Promise.resolve();
  return new Promise<void>((resolve) => (v.onDrained = resolve));
}
