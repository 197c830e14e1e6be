/**
 * A repeat model instance. `execute` reads each request, starts its sender and returns after the
 * largest WAIT of the batch (Triton's example holds the requests that long); responses keep coming
 * afterwards. `dispose` waits for every sender to finish, as the example's model state does.
 */
import type { ExecutionInstance, InferenceRequest } from '../../core/index.js';
import { readRepeatJob } from './read-request.js';
import { startSender } from './sender.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class RepeatInstance implements ExecutionInstance {
  readonly name: string;
  #senders = 0;
  readonly #idle: (() => void)[] = [];

  constructor(name: string) {
    this.name = name;
  }

  /** Senders still running (responses not all sent). */
  get activeSenders(): number {
    return this.#senders;
  }

  async execute(requests: readonly InferenceRequest[]): Promise<void> {
    let waitMs = 0;
    for (const request of requests) {
      let job;
      try {
        job = readRepeatJob(request);
      } catch (err) {
        request.respondError(err);
        continue;
      }
      request.stamp('computeInputEnd');
      waitMs = Math.max(waitMs, job.waitMs);
      this.#senders += 1;
      startSender(request, job, () => this.#senderDone());
    }
    if (waitMs > 0) await sleep(waitMs);
  }

  async dispose(): Promise<void> {
    if (this.#senders === 0) return;
    await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  #senderDone(): void {
    this.#senders -= 1;
    if (this.#senders === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }
}
