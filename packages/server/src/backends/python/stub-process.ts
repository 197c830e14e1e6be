/**
 * One running Python stub process: spawn, the framed socket on fd 3, its stdout/stderr into the server
 * log, and exit. It knows nothing about requests; `PythonInstance` gives frames their meaning.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { ServerError } from '../../core/index.js';
import type { BackendLogger } from '../contract.js';
import { encodeFrameHead, FrameReader, type FrameHead } from './framing.js';

export interface StubOptions {
  readonly interpreter: string;
  readonly stubDir: string;
  readonly modelPath: string;
  readonly instanceName: string;
  readonly log: BackendLogger;
  readonly onFrame: (head: FrameHead, body: Buffer) => void;
  /** Called once when the process is gone, whatever the reason. */
  readonly onExit: (description: string) => void;
}

export class StubProcess {
  readonly #child: ChildProcess;
  readonly #socket: Socket;
  #exited = false;
  readonly #exit: Promise<void>;

  constructor(options: StubOptions) {
    const child = spawn(options.interpreter, [join(options.stubDir, 'inferd_stub.py'), options.modelPath, options.instanceName], {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
    });
    this.#child = child;
    this.#socket = child.stdio[3] as Socket;
    const reader = new FrameReader(options.onFrame);
    this.#socket.on('data', (chunk: Buffer) => reader.push(chunk));
    // Errors show up as the process exiting; the socket's own (EPIPE, ECONNRESET) add nothing.
    this.#socket.on('error', () => {});
    // A model's print() and Python warnings go to the server log, one line each.
    createInterface({ input: child.stdout! }).on('line', (l) => options.log.info(`${options.instanceName}: ${l}`));
    createInterface({ input: child.stderr! }).on('line', (l) => options.log.error(`${options.instanceName}: ${l}`));
    this.#exit = new Promise((resolve) => {
      let spawnError: Error | undefined;
      child.on('error', (err) => {
        spawnError = err;
        if (child.pid === undefined) finish(`could not start '${options.interpreter}': ${err.message}`);
      });
      child.on('exit', (code, signal) => {
        finish(signal !== null ? `killed by signal ${signal}` : `exited with code ${code ?? '?'}${spawnError ? ` (${spawnError.message})` : ''}`);
      });
      const finish = (description: string): void => {
        if (this.#exited) return;
        this.#exited = true;
        this.#socket.destroy();
        options.onExit(description);
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

  /** Writes one frame; `buffers` (tensor bytes) are written as they are, without copying. */
  send(head: FrameHead, buffers: readonly Uint8Array[] = []): void {
    if (this.#exited) throw ServerError.unavailable('Python stub process is not running');
    let body = 0;
    for (const b of buffers) body += b.byteLength;
    this.#socket.cork();
    this.#socket.write(encodeFrameHead(head, body));
    for (const b of buffers) if (b.byteLength > 0) this.#socket.write(b);
    this.#socket.uncork();
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
