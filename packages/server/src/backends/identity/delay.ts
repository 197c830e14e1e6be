/**
 * The identity backend's test knobs for slow models, as Triton's identity backend reads them at model
 * load: `execute_delay_ms` (every execute call sleeps that long, once per batch, before answering) and
 * `instance_wise_delay_multiplier` (instance k of the model, in creation order, sleeps
 * delay * max(multiplier * k, 1)). Triton's qa (L0_client_timeout, L0_batcher) uses them to hold an
 * instance busy.
 *
 * Unlike Triton's blocking sleep, ours is a timer that ends early once every request of the batch has
 * been cancelled (client gone, gRPC deadline): nobody waits for those answers, and the instance is
 * free for the next batch sooner. It also ends when the instance is disposed.
 */
import { ServerError, type InferenceRequest } from '../../core/index.js';
import type { ModelConfig } from '../../config/types.js';

export interface ExecuteDelay {
  readonly delayMs: number;
  readonly multiplier: number;
}

/** std::stoi as Triton's backend applies it: leading whitespace, optional sign, digits, rest ignored. */
function stoi(model: string, key: string, text: string): number {
  const m = /^\s*([+-]?\d+)/.exec(text);
  const n = m === null ? Number.NaN : Number(m[1]);
  if (!Number.isSafeInteger(n) || n < -2147483648 || n > 2147483647) {
    throw ServerError.invalidArg(`unable to load model '${model}', parameter '${key}' must be an integer, got '${text}'`);
  }
  return n;
}

/** Throws INVALID_ARG (the model does not load) when a value is not an integer. */
export function readExecuteDelay(model: string, config: ModelConfig): ExecuteDelay {
  const params = config.parameters ?? {};
  const delay = params['execute_delay_ms']?.string_value;
  if (delay === undefined) return { delayMs: 0, multiplier: 0 };
  const delayMs = stoi(model, 'execute_delay_ms', delay);
  // Triton reads the multiplier only when a delay is set.
  const mult = params['instance_wise_delay_multiplier']?.string_value;
  return { delayMs, multiplier: mult === undefined ? 0 : stoi(model, 'instance_wise_delay_multiplier', mult) };
}

/** The sleep of instance `index` (0-based creation order across the model's instance groups). */
export function instanceDelayMs(d: ExecuteDelay, index: number): number {
  if (d.delayMs <= 0) return 0;
  const factor = d.multiplier > 0 ? d.multiplier * index : 0;
  return d.delayMs * Math.max(factor, 1);
}

/**
 * Sleeps `ms`, or less: resolves as soon as every request is cancelled or `stop` aborts. Listeners are
 * removed on every way out so a long-lived gRPC stream signal does not collect them.
 */
export function sleepUnlessCancelled(ms: number, requests: readonly InferenceRequest[], stop: AbortSignal): Promise<void> {
  const allCancelled = (): boolean => requests.length > 0 && requests.every((r) => r.isCancelled);
  if (ms <= 0 || stop.aborted || allCancelled()) return Promise.resolve();
  return new Promise((resolve) => {
    const onAbort = (): void => {
      if (stop.aborted || allCancelled()) finish();
    };
    const finish = (): void => {
      clearTimeout(timer);
      stop.removeEventListener('abort', onAbort);
      for (const r of requests) r.signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const timer = setTimeout(finish, ms);
    stop.addEventListener('abort', onAbort, { once: true });
    for (const r of requests) r.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
