/**
 * A bounded pool of worker threads shared by every ONNX model of the process. Each model instance is
 * one session living in one pool thread (placed on the thread with the fewest sessions), so a
 * repository of a thousand models costs a thousand sessions, not a thousand V8 isolates. A thread runs
 * one message at a time: its sessions take turns, while `instance_group.count` still bounds how many
 * executions of one model run at once (each instance has its own session, and instances of one model
 * are spread over different threads where the pool has them).
 *
 * Threads start when first needed and end when they have held no session for a while. A thread that
 * crashes fails only what was in flight on it; the next use of one of its sessions starts a
 * replacement thread in the same slot and re-creates the session there.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { ServerError } from '../../core/index.js';
import { PoolThread, spawnPoolWorker, type RunResult } from './pool-thread.js';
import type { SessionMetadata, WireTensor, WorkerSessionOptions } from './types.js';

/** A slot without sessions ends its thread after this long idle (ms): reloads soon after unloads reuse it. */
const IDLE_CLOSE_MS = 2000;

export interface SessionPoolOptions {
  /** Number of threads at most. */
  readonly size: number;
  /** The thread factory (tests hand in a thread that dies on purpose). */
  readonly spawn?: () => Worker;
}

/** One place for threads: the thread now running there (if any) and the sessions placed there. */
export class Slot {
  thread: PoolThread | undefined;
  readonly sessions = new Set<PooledSession>();
  idleTimer: NodeJS.Timeout | undefined;
}

export class SessionPool {
  readonly size: number;
  readonly #slots: Slot[];
  readonly #spawn: () => Worker;
  #nextSession = 1;

  constructor(options: SessionPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1) throw ServerError.invalidArg(`onnxruntime worker-threads must be a positive integer, got ${options.size}`);
    this.size = options.size;
    this.#slots = Array.from({ length: options.size }, () => new Slot());
    this.#spawn = options.spawn ?? spawnPoolWorker;
  }

  /** Threads running now (at most `size`). */
  get threads(): number {
    return this.#slots.filter((s) => s.thread !== undefined).length;
  }

  /**
   * Creates a session for `modelPath` on the least-loaded thread. `group` names the model: sessions of
   * one model go to different threads while there are threads with as few sessions.
   */
  async open(modelPath: string, options: WorkerSessionOptions, label: string, group: string): Promise<PooledSession> {
    const slot = this.#placeSession(group);
    const session = new PooledSession(this, slot, this.#nextSession++, modelPath, options, label, group);
    slot.sessions.add(session);
    this.#keep(slot);
    try {
      await session.reload();
    } catch (err) {
      slot.sessions.delete(session);
      this.#maybeIdle(slot);
      throw err;
    }
    return session;
  }

  /** Reads a model's signature on the thread with the least work queued (never on the main thread). */
  async metadata(modelPath: string, label: string): Promise<SessionMetadata> {
    let slot = this.#slots[0]!;
    for (const s of this.#slots) if (load(s) < load(slot)) slot = s;
    this.#keep(slot);
    try {
      return await this.threadOf(slot).metadata(modelPath, label);
    } finally {
      this.#maybeIdle(slot);
    }
  }

  /** The slot's running thread, started (again, after a crash or an idle close) when there is none. */
  threadOf(slot: Slot): PoolThread {
    const running = slot.thread;
    if (running !== undefined && running.alive) return running;
    const thread = new PoolThread(this.#spawn(), (t) => {
      if (slot.thread === t) slot.thread = undefined;
    });
    slot.thread = thread;
    return thread;
  }

  /** Called by a session once it is released. */
  forget(session: PooledSession, slot: Slot): void {
    slot.sessions.delete(session);
    this.#maybeIdle(slot);
  }

  /** Fewest sessions first; among those, a slot holding none of this model's sessions; then one already running. */
  #placeSession(group: string): Slot {
    let best = this.#slots[0]!;
    let bestScore = Infinity;
    for (const s of this.#slots) {
      let sameModel = 0;
      for (const x of s.sessions) if (x.group === group) sameModel += 1;
      const score = s.sessions.size * 4 + sameModel * 2 + (s.thread === undefined ? 1 : 0);
      if (score < bestScore) {
        best = s;
        bestScore = score;
      }
    }
    return best;
  }

  #keep(slot: Slot): void {
    if (slot.idleTimer !== undefined) clearTimeout(slot.idleTimer);
    slot.idleTimer = undefined;
  }

  /** Ends the slot's thread once it has had no session and no work for IDLE_CLOSE_MS. */
  #maybeIdle(slot: Slot): void {
    if (slot.sessions.size > 0 || slot.thread === undefined || slot.idleTimer !== undefined) return;
    slot.idleTimer = setTimeout(() => {
      slot.idleTimer = undefined;
      const thread = slot.thread;
      if (slot.sessions.size > 0 || thread === undefined || thread.inFlight > 0) return;
      slot.thread = undefined;
      void thread.close();
    }, IDLE_CLOSE_MS);
    slot.idleTimer.unref();
  }
}

function load(slot: Slot): number {
  return (slot.thread?.inFlight ?? 0) * 4 + slot.sessions.size + (slot.thread === undefined ? 2 : 0);
}

/** One model instance's session in the pool. */
export class PooledSession {
  readonly label: string;
  readonly group: string;
  readonly #pool: SessionPool;
  readonly #slot: Slot;
  readonly #id: number;
  readonly #modelPath: string;
  readonly #options: WorkerSessionOptions;
  /** The thread the session was last created in; another (or none) means it must be created again. */
  #loadedIn: PoolThread | undefined;
  #loading: Promise<PoolThread> | undefined;
  #metadata: SessionMetadata | undefined;
  #released = false;

  constructor(
    pool: SessionPool, slot: Slot, id: number, modelPath: string, options: WorkerSessionOptions, label: string, group: string,
  ) {
    this.#pool = pool;
    this.#slot = slot;
    this.#id = id;
    this.#modelPath = modelPath;
    this.#options = options;
    this.label = label;
    this.group = group;
  }

  get metadata(): SessionMetadata {
    if (this.#metadata === undefined) throw ServerError.internal(`onnxruntime instance '${this.label}' is not ready`);
    return this.#metadata;
  }

  /** Runs one batch in the session's thread (re-creating the session first if that thread was replaced). */
  run(feeds: readonly WireTensor[], fetches: readonly string[], transfer: readonly ArrayBuffer[]): Promise<RunResult> {
    if (this.#released) return Promise.reject(ServerError.unavailable(`onnxruntime instance '${this.label}' was unloaded`));
    const thread = this.#loadedIn;
    if (thread !== undefined && thread.alive && this.#slot.thread === thread) {
      return thread.run(this.#id, feeds, fetches, transfer, this.label);
    }
    return this.reload().then((t) => t.run(this.#id, feeds, fetches, transfer, this.label));
  }

  /** Creates the session in its slot's current thread (starting one if needed); one creation at a time. */
  reload(): Promise<PoolThread> {
    this.#loading ??= (async () => {
      try {
        const thread = this.#pool.threadOf(this.#slot);
        this.#metadata = await thread.load(this.#id, this.#modelPath, this.#options, this.label);
        this.#loadedIn = thread;
        return thread;
      } finally {
        this.#loading = undefined;
      }
    })();
    return this.#loading;
  }

  /** Frees the session in its thread (waits for runs already sent there); later runs are refused. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    const thread = this.#loadedIn;
    this.#loadedIn = undefined;
    try {
      if (thread !== undefined && thread.alive) await thread.release(this.#id, this.label).catch(() => undefined);
    } finally {
      this.#pool.forget(this, this.#slot);
    }
  }
}

/** Pools by size, one per process: every server of the process with the same setting shares it. */
const shared = new Map<number, SessionPool>();

/** `--backend-config=onnxruntime,worker-threads=N`; default: the machine's available parallelism. */
export const WORKER_THREADS_SETTING = 'worker-threads';

export function sharedSessionPool(backendConfig: Readonly<Record<string, string>>): SessionPool {
  const size = poolSizeOf(backendConfig);
  let pool = shared.get(size);
  if (pool === undefined) {
    pool = new SessionPool({ size });
    shared.set(size, pool);
  }
  return pool;
}

export function poolSizeOf(backendConfig: Readonly<Record<string, string>>): number {
  const raw = backendConfig[WORKER_THREADS_SETTING];
  if (raw === undefined) return availableParallelism();
  const n = /^\s*\d+\s*$/.test(raw) ? Number.parseInt(raw, 10) : NaN;
  if (!(n >= 1)) throw ServerError.invalidArg(`onnxruntime ${WORKER_THREADS_SETTING} must be a positive integer, got '${raw}'`);
  return n;
}
