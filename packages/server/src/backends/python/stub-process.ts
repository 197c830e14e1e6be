/**
 * One running Python stub process: spawn, the framed socket on fd 3, its stdout/stderr into the server
 * log, and exit. It knows nothing about requests; `PythonInstance` gives frames their meaning.
 *
 * Bodies of at least SHM_MIN_BYTES go through two unlinked /dev/shm files passed as the child's fds 4
 * (server -> stub) and 5 (stub -> server) instead of the socket; see stub/_inferd_wire.py for why and
 * for the rules that keep both sides from overwriting data the other has not read yet. The stub maps the
 * server -> stub file and wraps its tensors in place, so each body there keeps its region until the stub
 * says `shm_read` (its last view is gone): regions are bump-allocated, like the stub's in the other file.
 *
 * A body the stub will not run at once (`staged`: it is busy with an earlier execution) is written in slices
 * of WRITE_SLICE_BYTES, one per event-loop turn, so 19 MB of batch inputs do not block the loop for ~4.6 ms
 * at once (issue 15); a body the stub waits for is written at once (see WRITE_SLICE_BYTES for why). Where
 * the machine has cores to spare, a large body is written by several libuv pool threads instead. Frames
 * keep the order they were sent in: while a body is being written, later frames wait in `#queue`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { ServerError } from '../../core/index.js';
import type { BackendLogger } from '../contract.js';
import { encodeFrameHead, FrameReader, type FrameHead } from './framing.js';
import { shmWriteThreads, writeBody } from './shm-body-write.js';
import { stubEnvironment } from './stub-env.js';

export interface StubOptions {
  readonly interpreter: string;
  readonly stubDir: string;
  readonly modelPath: string;
  readonly instanceName: string;
  /** Extra environment variables (an EXECUTION_ENV_PATH environment's PATH). */
  readonly env?: Readonly<Record<string, string>>;
  readonly log: BackendLogger;
  readonly onFrame: (head: FrameHead, body: Buffer) => void;
  /**
   * Called once when the process is gone, whatever the reason. `lastError` is the last line the stub
   * wrote to stderr when it exited with a non-zero code (e.g. "ModuleNotFoundError: No module named
   * 'numpy'"): the reason a stub dies at start is otherwise only in the log.
   */
  readonly onExit: (description: string, lastError?: string) => void;
}

/** Must equal SHM_MIN_BYTES in stub/_inferd_wire.py. */
const SHM_MIN_BYTES = 64 * 1024;
const SHM_DIR = '/dev/shm';
/**
 * Most bytes the server -> stub file holds at once. A model that keeps input arrays alive keeps their regions;
 * past this the next bodies take the socket instead of growing the file further.
 */
const SHM_TO_STUB_MAX_BYTES = 512 * 1024 * 1024;
/**
 * Bytes of a staged body written into the server -> stub file per event-loop turn (~0.3-0.8 ms here).
 * Measured at c=32 over HTTP on the 2-core machine (bench/python-pipeline): on libuv's pool (`fs.writev`)
 * a 19 MB batch took 6.3 ms p50 / 18 ms p90 from start to callback against 1.9 / 4.8 ms on the main thread
 * (the woken thread waits for a core), and throughput fell to ~0.7 of the synchronous write; in slices it
 * fell to ~0.75, since the loop then reads the clients' next bodies between slices while the stub waits.
 * So a body the stub is waiting for goes at once, and only a staged one, whose write is hidden behind the
 * running execution, is sliced.
 */
const WRITE_SLICE_BYTES = 2 * 1024 * 1024;
/** How long an exited stub's socket may take to deliver its last frames. */
const EXIT_DRAIN_MS = 2000;

interface ShmFiles {
  /** Server -> stub bodies, at offsets this side picks (`shm_at`). */
  readonly toStub: number;
  /** Stub -> server bodies, at the offsets the stub names. */
  readonly fromStub: number;
}

let shmCounter = 0;

/**
 * Told once a frame's body has left the caller's buffers: `copied` when it is in the shared region (the
 * buffers may be reused), false when the socket holds them until it flushes.
 */
export type OnWritten = (copied: boolean) => void;

interface QueuedFrame {
  readonly head: FrameHead;
  readonly buffers: readonly Uint8Array[];
  readonly onWritten: OnWritten | undefined;
  readonly staged: boolean;
}

/** Every stub of this process that has not exited yet, for killStubs(). */
const liveStubs = new Set<StubProcess>();

/**
 * SIGKILLs every Python stub still running and resolves with how many there were once they are gone
 * (reaped). For a server that must exit now (--exit-timeout-secs passed with an execute still
 * running): a stub whose main thread is stuck in a model's execute would otherwise outlive it.
 */
export async function killStubs(): Promise<number> {
  const stubs = [...liveStubs];
  for (const stub of stubs) stub.kill();
  await Promise.all(stubs.map((s) => s.whenExited()));
  return stubs.length;
}

/** Two anonymous tmpfs files (created, opened, unlinked at once: nothing to clean up), or undefined. */
function openShmFiles(): ShmFiles | undefined {
  if (!existsSync(SHM_DIR)) return undefined;
  const open = (): number => {
    const path = join(SHM_DIR, `inferd-py-${process.pid}-${++shmCounter}`);
    const fd = openSync(path, 'w+', 0o600);
    unlinkSync(path);
    return fd;
  };
  try {
    const toStub = open();
    try {
      return { toStub, fromStub: open() };
    } catch {
      closeSync(toStub);
      return undefined;
    }
  } catch {
    return undefined;
  }
}

export class StubProcess {
  readonly #child: ChildProcess;
  readonly #shm: ShmFiles | undefined;
  readonly #socket: Socket;
  #exited = false;
  /**
   * Regions of the server -> stub file the stub still holds (offset -> size), until its `shm_read`. A new body
   * takes the first gap that fits, so a release arriving just after the next request was sent (the stub
   * releases inputs once their last view is gone, after its answer) costs one more region, not a growing file.
   */
  readonly #shmHeld = new Map<number, number>();
  /** A receive buffer for the next large stub -> server body, its pages already faulted in (see #receiveBuffer). */
  #spare: Buffer | undefined;
  #spareSize = 0;
  /** A staged body is being written into the shared region, a slice per turn; frames sent meanwhile wait in #queue. */
  #writing = false;
  readonly #queue: QueuedFrame[] = [];
  /** Pool threads per large body (shm-body-write.ts: on machines with cores to spare, or as the environment says). */
  readonly #writeThreads = shmWriteThreads();
  readonly #exit: Promise<void>;

  constructor(options: StubOptions) {
    const shm = openShmFiles();
    this.#shm = shm;
    const args = [join(options.stubDir, 'inferd_stub.py'), options.modelPath, options.instanceName];
    if (shm !== undefined) args.push('shm');
    const child = spawn(options.interpreter, args, {
      stdio: shm === undefined ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe', 'pipe', shm.toStub, shm.fromStub],
      env: stubEnvironment(options.env),
    });
    this.#child = child;
    liveStubs.add(this);
    this.#socket = child.stdio[3] as Socket;
    const reader = new FrameReader((head, body) => {
      if (head.t === 'shm_read') this.#shmHeld.delete(Number(head['at']));
      else options.onFrame(head, this.#shmBody(head) ?? body);
    });
    this.#socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (err) {
        // A malformed frame means the two sides disagree: end the stub (its requests fail, it restarts).
        options.log.error(`${options.instanceName}: bad frame from the Python stub: ${(err as Error).message}`);
        this.kill();
      }
    });
    // Errors show up as the process exiting; the socket's own (EPIPE, ECONNRESET) add nothing.
    this.#socket.on('error', () => {});
    // A model's print() and Python warnings go to the server log, one line each.
    createInterface({ input: child.stdout! }).on('line', (l) => options.log.info(`${options.instanceName}: ${l}`));
    let lastStderrLine: string | undefined;
    const stderrLines = createInterface({ input: child.stderr! });
    stderrLines.on('line', (l) => {
      if (l.trim() !== '') lastStderrLine = l.trim();
      options.log.error(`${options.instanceName}: ${l}`);
    });
    const stderrClosed = new Promise<void>((resolve) => stderrLines.once('close', resolve));
    this.#exit = new Promise((resolve) => {
      let spawnError: Error | undefined;
      child.on('error', (err) => {
        spawnError = err;
        if (child.pid === undefined) finish(`could not start '${options.interpreter}': ${err.message}`);
      });
      child.on('exit', (code, signal) => {
        const description = signal !== null
          ? `killed by signal ${signal}`
          : `exited with code ${code ?? '?'}${spawnError ? ` (${spawnError.message})` : ''}`;
        const done = (): void => finish(description, signal === null && code !== 0 ? lastStderrLine : undefined);
        // On a busy machine 'exit' can come before the last frames the stub wrote (an auto-complete
        // answer, a response sent just before os._exit) and before its last stderr line: read both to
        // their end first. Bounded, since a process the model started may still hold them open.
        const socket = this.#socket;
        const socketDone = socket.readableEnded || socket.destroyed
          ? Promise.resolve()
          : new Promise<void>((resolve) => {
            socket.once('end', resolve);
            socket.once('close', resolve);
          });
        const timer = setTimeout(done, EXIT_DRAIN_MS);
        void Promise.all([socketDone, stderrClosed]).then(() => {
          clearTimeout(timer);
          done();
        });
      });
      const finish = (description: string, lastError?: string): void => {
        if (this.#exited) return;
        this.#exited = true;
        liveStubs.delete(this);
        this.#socket.destroy();
        this.#queue.length = 0;
        // Safe with a sliced write in progress: its next slice sees #exited before it touches the fd.
        this.#closeShm();
        options.onExit(description, lastError);
        resolve();
      };
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get exited(): boolean {
    return this.#exited;
  }

  /** Resolves once the process is gone. */
  whenExited(): Promise<void> {
    return this.#exit;
  }

  /**
   * Sends one frame after every frame sent before it; `buffers` (tensor bytes) are written as they are,
   * without copying, and must stay unchanged until `onWritten` (called before this returns unless the
   * body is `staged` or waits behind one). Throws only when the process is gone.
   */
  send(head: FrameHead, buffers: readonly Uint8Array[] = [], onWritten?: OnWritten, staged = false): void {
    if (this.#exited) throw ServerError.unavailable('Python stub process is not running');
    if (this.#writing) this.#queue.push({ head, buffers, onWritten, staged });
    else this.#dispatch(head, buffers, onWritten, staged);
  }

  #dispatch(head: FrameHead, buffers: readonly Uint8Array[], onWritten: OnWritten | undefined, staged: boolean): void {
    let body = 0;
    for (const b of buffers) body += b.byteLength;
    const at = this.#shm !== undefined && body >= SHM_MIN_BYTES ? this.#shmGap(body) : undefined;
    if (at === undefined) {
      this.#writeSocket(head, buffers, body);
      onWritten?.(false);
      return;
    }
    // Held from now: a later body must not take this region while the write is in flight.
    this.#shmHeld.set(at, body);
    this.#writing = true;
    this.#writeShm(buffers, body, at, staged ? WRITE_SLICE_BYTES : body, (ok) => {
      this.#writing = false;
      if (this.#exited) return;
      if (ok) {
        this.#socket.write(encodeFrameHead({ ...head, shm_body: body, shm_at: at }, 0));
      } else {
        this.#shmHeld.delete(at);
        this.#writeSocket(head, buffers, body);
      }
      onWritten?.(ok);
      while (!this.#writing && !this.#exited) {
        const next = this.#queue.shift();
        if (next === undefined) break;
        this.#dispatch(next.head, next.buffers, next.onWritten, next.staged);
      }
    });
  }

  #writeSocket(head: FrameHead, buffers: readonly Uint8Array[], body: number): void {
    this.#socket.cork();
    this.#socket.write(encodeFrameHead(head, body));
    for (const b of buffers) if (b.byteLength > 0) this.#socket.write(b);
    this.#socket.uncork();
  }

  #closeShm(): void {
    if (this.#shm === undefined) return;
    closeSync(this.#shm.toStub);
    closeSync(this.#shm.fromStub);
  }

  /** The first offset where `size` bytes fit between held regions; undefined past SHM_TO_STUB_MAX_BYTES. */
  #shmGap(size: number): number | undefined {
    let at = 0;
    for (const [offset, held] of [...this.#shmHeld].sort((a, b) => a[0] - b[0])) {
      if (at + size <= offset) break;
      at = Math.max(at, offset + held);
    }
    return at + size <= SHM_TO_STUB_MAX_BYTES ? at : undefined;
  }

  /**
   * Copies a body into the server -> stub file at `at`: the one copy of an input on its way to the stub,
   * which maps these pages. On the main thread the first `sliceBytes` now, the rest as much per event-loop
   * turn, so a body of one slice or less is done before this returns; a large body on a machine with cores
   * to spare goes to libuv's pool in parallel ranges instead (shm-body-write.ts). `done(false)` (use the
   * socket) when tmpfs is full; a stub gone meanwhile ends it too (the exit handler fails the batch).
   */
  #writeShm(buffers: readonly Uint8Array[], body: number, at: number, sliceBytes: number, done: (ok: boolean) => void): void {
    writeBody({ fd: this.#shm!.toStub, buffers, body, at, sliceBytes, threads: this.#writeThreads, stopped: () => this.#exited }, done);
  }

  /** A stub -> server body announced in a header (`shm_offset`/`shm_size`), copied out and freed. */
  #shmBody(head: FrameHead): Buffer | undefined {
    const offset = head['shm_offset'];
    const size = head['shm_size'];
    if (typeof offset !== 'number' || typeof size !== 'number' || this.#shm === undefined) return undefined;
    const body = this.#receiveBuffer(size);
    let got = 0;
    while (got < size) {
      const n = readSync(this.#shm.fromStub, body, got, size - got, offset + got);
      if (n === 0) throw ServerError.internal('Python stub announced more shared-memory bytes than it wrote');
      got += n;
    }
    // Lets the stub reuse the region.
    if (!this.#exited) this.#socket.write(encodeFrameHead({ t: 'shm_free' }, 0));
    return body;
  }

  /**
   * A buffer for a large body. It leaves with the response, so it cannot be reused; but a fresh 4 MB
   * allocation is fresh pages, and faulting them in while copying cost ~1.6 ms of the ~2 ms copy on
   * this machine (bench/python-backend). So the next one is allocated and touched once the event loop
   * is idle, sized as the last body, and used when the next body fits it closely.
   */
  #receiveBuffer(size: number): Buffer {
    const spare = this.#spare;
    this.#spare = undefined;
    if (this.#spareSize === 0) {
      setImmediate(() => this.#refillSpare());
    }
    this.#spareSize = size;
    if (spare !== undefined && size <= spare.byteLength && size * 2 > spare.byteLength) return spare.subarray(0, size);
    return Buffer.allocUnsafe(size);
  }

  #refillSpare(): void {
    const size = this.#spareSize;
    this.#spareSize = 0;
    if (this.#exited || size === 0) return;
    this.#spare = Buffer.allocUnsafe(size).fill(0);
  }

  /** Closes the channel (the stub exits on EOF) and kills the process if it is still there after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    if (this.#exited) return;
    this.#socket.end();
    const timer = setTimeout(() => this.kill(), graceMs);
    await this.#exit;
    clearTimeout(timer);
  }

  kill(): void {
    if (!this.#exited) this.#child.kill('SIGKILL');
  }
}
