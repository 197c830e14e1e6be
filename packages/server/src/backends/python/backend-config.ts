/**
 * `--backend-config=python,<key>=<value>` (spec §10): every key of Triton's Python backend is accepted.
 *
 * Honoured: `stub-timeout-seconds` (default 30) and inferd's own `python-interpreter`. The shared-memory
 * keys size and name Triton's per-stub shm region and its message queues; inferd moves messages over a
 * Unix socket (unbounded) and large bodies through two unlinked /dev/shm files sized per body, so
 * `shm-default-byte-size`, `shm-growth-byte-size`, `shm-message-queue-size` and `shm-region-prefix-name`
 * have nothing to set: they are checked as Triton checks them (integers must parse) and logged once as
 * no-ops. `thread-pool-size` (Triton's pool for async BLS and decoupled responses) is a no-op too: the
 * server's event loop serves those. Triton's Python backend looks up only the keys it knows and ignores
 * the rest silently; inferd warns once per unknown key, since a typo otherwise goes unnoticed.
 */
import { ServerError } from '../../core/index.js';
import type { BackendLogger } from '../contract.js';
import { INTERPRETER_SETTING } from './interpreter.js';

const TIMEOUT_SETTING = 'stub-timeout-seconds';

/** Accepted with nothing to do; the value is an integer unless listed in `TEXT_NO_OPS`. */
const INTEGER_NO_OPS = ['shm-default-byte-size', 'shm-growth-byte-size', 'shm-message-queue-size', 'thread-pool-size'];
const TEXT_NO_OPS = ['shm-region-prefix-name'];
/** Spelled with underscores in some Triton docs; read as the dashed key. */
const ALIASES: Readonly<Record<string, string>> = { shm_message_queue_size: 'shm-message-queue-size' };
/**
 * Global settings every backend receives (`--backend-config=<key>=<value>` without a backend name):
 * known to the server or other backends, nothing for this one to warn about.
 */
const GLOBAL_KEYS = new Set(['default-max-batch-size', 'backend-directory', 'auto-complete-config']);

/** What was logged already in this process: the same line for every model would drown the log. */
const logged = new Set<string>();

export interface PythonSettings {
  /** `stub-timeout-seconds` in ms. */
  readonly stubTimeoutMs: number;
  /**
   * `pin-gpu` (inferd's, default false): a GPU instance's stub sees only its GPU (CUDA_VISIBLE_DEVICES=<uuid>),
   * so `cuda` is the instance's device. Off by default because Triton does not pin, and model.py files
   * written for Triton pick `cuda:<model_instance_device_id>`, which a pinned stub does not have.
   */
  readonly pinGpu: boolean;
}

/** Reads the python backend's settings: throws on a malformed value, logs no-ops and unknown keys once. */
export function pythonSettings(settings: Readonly<Record<string, string>>, log: BackendLogger): PythonSettings {
  let stubTimeoutMs = 30_000;
  let pinGpu = false;
  for (const [rawKey, value] of Object.entries(settings)) {
    const key = ALIASES[rawKey] ?? rawKey;
    if (key === TIMEOUT_SETTING) {
      stubTimeoutMs = timeoutMs(value);
    } else if (key === 'pin-gpu') {
      if (value !== 'true' && value !== 'false') throw ServerError.invalidArg(`python backend: pin-gpu must be true or false, got '${value}'`);
      pinGpu = value === 'true';
    } else if (key === INTERPRETER_SETTING || GLOBAL_KEYS.has(key)) {
      // Read elsewhere (interpreter.ts) or not this backend's.
    } else if (INTEGER_NO_OPS.includes(key) || TEXT_NO_OPS.includes(key)) {
      if (INTEGER_NO_OPS.includes(key) && !/^\s*\d+\s*$/.test(value)) {
        throw ServerError.invalidArg(`python backend: failed to convert '${key}' value '${value}' to an integer`);
      }
      const why = key === 'thread-pool-size'
        ? 'async BLS and decoupled responses are served by the server\'s event loop'
        : 'no shm region or message queue to size or name: messages go over a socket';
      once((m) => log.info(m), `python backend: '${rawKey}=${value}' accepted; no effect in inferd (${why})`);
    } else {
      once((m) => log.warn(m), `python backend: ignoring unknown --backend-config key '${rawKey}'`);
    }
  }
  return { stubTimeoutMs, pinGpu };
}

function timeoutMs(raw: string): number {
  if (raw === '') return 30_000;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw ServerError.invalidArg(`python backend: stub-timeout-seconds must be a positive number, got '${raw}'`);
  }
  return seconds * 1000;
}

function once(write: (message: string) => void, message: string): void {
  if (logged.has(message)) return;
  logged.add(message);
  write(message);
}
