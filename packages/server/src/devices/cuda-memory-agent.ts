/**
 * The CudaIpc behind CUDA shared memory (core/cuda-shared-memory.ts): one long-lived Python process
 * (backends/python/stub/inferd_cuda_agent.py, stdlib only, run as `python3 -S`) that loads libcuda.so.1,
 * opens clients' IPC handles and copies between their device memory and a staging file. The staging file
 * is an unlinked /dev/shm file passed as the agent's fd 3; this side reads and writes it with positional
 * I/O. Commands are lines on the agent's stdin, answers lines on its stdout, one at a time: a copy owns
 * the whole staging file until its answer has been read, so concurrent requests never share bytes.
 * Costs per tensor: one device<->host copy in the agent and one host copy here. Copies larger than the
 * staging file go in pieces.
 *
 * Started at the first register; an agent that exits fails the command in flight, and every region it
 * had opened is lost (its mappings died with it); the next register starts a new one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { ftruncateSync } from 'node:fs';
import { createInterface } from 'node:readline';
import {
  anonymousShmFile, closeQuietly, CudaIpcError, readFullySync, ServerError, writeFullySync,
  type CudaIpc, type CudaIpcFailure, type CudaMapping,
} from '../core/index.js';

export interface CudaMemoryAgentOptions {
  /** The Python interpreter (resolved as the Python backend resolves it). */
  readonly interpreter: string;
  /** Path of inferd_cuda_agent.py. */
  readonly script: string;
  /** Staging file size (default 32 MiB, page-aligned). */
  readonly stagingBytes?: number;
  /** Receives the agent's stderr lines and its exits. */
  readonly log?: (message: string) => void;
}

const DEFAULT_STAGING_BYTES = 32 * 1024 * 1024;
const STOP_GRACE_MS = 2000;

class AgentMapping implements CudaMapping {
  readonly id: string;
  readonly process: AgentProcess;
  constructor(id: string, process: AgentProcess) {
    this.id = id;
    this.process = process;
  }
  get lostReason(): string | undefined {
    return this.process.exitReason;
  }
}

interface Pending {
  resolve(words: string[]): void;
  reject(err: Error): void;
}

/** One agent process: spawn, the ready handshake, numbered commands, exit. */
class AgentProcess {
  readonly #child: ChildProcess;
  readonly staging: number;
  readonly #pending = new Map<string, Pending>();
  #seq = 0;
  #ready: Pending | undefined;
  #lastStderr = '';
  exitReason: string | undefined;
  readonly exited: Promise<void>;

  private constructor(options: CudaMemoryAgentOptions, staging: number, stagingBytes: number, ready: Pending) {
    this.staging = staging;
    this.#ready = ready;
    this.#child = spawn(options.interpreter, ['-S', options.script, String(stagingBytes)], {
      stdio: ['pipe', 'pipe', 'pipe', staging],
    });
    createInterface({ input: this.#child.stdout! }).on('line', (line) => this.#onLine(line));
    createInterface({ input: this.#child.stderr! }).on('line', (line) => {
      this.#lastStderr = line;
      options.log?.(`CUDA memory agent: ${line}`);
    });
    this.#child.stdin!.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      const gone = (why: string): void => {
        if (this.exitReason !== undefined) return;
        this.exitReason = why;
        closeQuietly(this.staging);
        this.#ready?.reject(new CudaIpcError('failed', `the CUDA memory agent exited before it was ready (${why})`));
        this.#ready = undefined;
        const err = ServerError.internal(`the CUDA memory agent exited (${why})`);
        for (const p of this.#pending.values()) p.reject(err);
        this.#pending.clear();
        options.log?.(`CUDA memory agent exited (${why})`);
        resolve();
      };
      this.#child.on('error', (e) => gone(`${options.interpreter}: ${e.message}`));
      this.#child.on('exit', (code, signal) => {
        const how = signal !== null ? `signal ${signal}` : `code ${code}`;
        gone(this.#lastStderr === '' ? how : `${how}: ${this.#lastStderr}`);
      });
    });
  }

  /** Resolves once the agent said `ready`; rejects with its `fatal` reason (no libcuda, no device). */
  static start(options: CudaMemoryAgentOptions): Promise<AgentProcess> {
    const stagingBytes = options.stagingBytes ?? DEFAULT_STAGING_BYTES;
    const staging = anonymousShmFile('inferd-cuda-staging');
    if (staging === undefined) return Promise.reject(new CudaIpcError('failed', 'no /dev/shm for the staging file'));
    ftruncateSync(staging, stagingBytes);
    return new Promise((resolve, reject) => {
      const proc: AgentProcess = new AgentProcess(options, staging, stagingBytes, {
        resolve: () => resolve(proc),
        reject,
      });
    });
  }

  #onLine(line: string): void {
    const words = line.split(' ');
    const ready = this.#ready;
    if (ready !== undefined) {
      this.#ready = undefined;
      if (words[0] === 'ready') ready.resolve([]);
      else if (words[0] === 'fatal') ready.reject(new CudaIpcError(words[1] as CudaIpcFailure, words.slice(2).join(' ')));
      else ready.reject(new CudaIpcError('failed', `the CUDA memory agent said: ${line}`));
      return;
    }
    const pending = this.#pending.get(words[1] ?? '');
    if (pending === undefined) return;
    this.#pending.delete(words[1]!);
    if (words[0] === 'ok') pending.resolve(words.slice(2));
    else pending.reject(new CudaIpcError(words[2] === 'invalid' ? 'invalid' : 'failed', words.slice(3).join(' ')));
  }

  /** Sends `op args...`; resolves with the answer's values. */
  command(op: string, ...args: (string | number)[]): Promise<string[]> {
    if (this.exitReason !== undefined) return Promise.reject(ServerError.internal(`the CUDA memory agent exited (${this.exitReason})`));
    const seq = String(++this.#seq);
    return new Promise((resolve, reject) => {
      this.#pending.set(seq, { resolve, reject });
      this.#child.stdin!.write(`${op} ${seq} ${args.join(' ')}\n`);
    });
  }

  /** EOF on stdin ends the agent; SIGKILL if it is still there after the grace period. */
  async stop(): Promise<void> {
    if (this.exitReason !== undefined) return;
    this.#child.stdin!.end();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }
}

export class CudaMemoryAgent implements CudaIpc {
  readonly #options: CudaMemoryAgentOptions;
  readonly #stagingBytes: number;
  #process: Promise<AgentProcess> | undefined;
  /** Copies run one at a time: each owns the staging file until its answer is read. */
  #chain: Promise<unknown> = Promise.resolve();

  constructor(options: CudaMemoryAgentOptions) {
    this.#options = options;
    this.#stagingBytes = options.stagingBytes ?? DEFAULT_STAGING_BYTES;
  }

  /** The running agent, or a new one when there is none or it exited. */
  async #agent(): Promise<AgentProcess> {
    const current = this.#process === undefined ? undefined : await this.#process.catch(() => undefined);
    if (current !== undefined && current.exitReason === undefined) return current;
    this.#process = AgentProcess.start(this.#options);
    this.#process.catch(() => undefined);
    return this.#process;
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(work, work);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async open(handle: Uint8Array, deviceId: number, byteSize: number): Promise<CudaMapping> {
    const agent = await this.#agent();
    const [id] = await this.#serial(() => agent.command('open', deviceId, byteSize, Buffer.from(handle).toString('hex')));
    return new AgentMapping(id!, agent);
  }

  read(mapping: CudaMapping, offset: number, into: Uint8Array): Promise<void> {
    const m = mapping as AgentMapping;
    const short = () => ServerError.internal('short read from the CUDA staging file');
    return this.#serial(async () => {
      for (let done = 0; done < into.byteLength;) {
        const n = Math.min(this.#stagingBytes, into.byteLength - done);
        await m.process.command('read', m.id, offset + done, n);
        readFullySync(m.process.staging, into.subarray(done, done + n), 0, short);
        done += n;
      }
    });
  }

  write(mapping: CudaMapping, offset: number, data: Uint8Array): Promise<void> {
    const m = mapping as AgentMapping;
    return this.#serial(async () => {
      for (let done = 0; done < data.byteLength;) {
        const n = Math.min(this.#stagingBytes, data.byteLength - done);
        writeFullySync(m.process.staging, data.subarray(done, done + n), 0);
        await m.process.command('write', m.id, offset + done, n);
        done += n;
      }
    });
  }

  close(mapping: CudaMapping): void {
    const m = mapping as AgentMapping;
    if (m.lostReason !== undefined) return;
    this.#serial(() => m.process.command('close', m.id)).catch((err: unknown) => {
      this.#options.log?.(`failed to close a CUDA IPC handle: ${String(err)}`);
    });
  }

  async stop(): Promise<void> {
    const agent = this.#process === undefined ? undefined : await this.#process.catch(() => undefined);
    this.#process = undefined;
    await agent?.stop();
  }
}
