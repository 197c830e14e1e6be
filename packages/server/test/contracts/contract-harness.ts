/**
 * What the contract suites share: one model `m` (INT32 INPUT0 [2] → INT32 OUTPUT0, batched or not) on
 * a real server in explicit model control, requests through the in-process API (`infer`, or
 * `inferStream` for decoupled models), and the leak checks (abort listeners left on a request's signal,
 * timers left running).
 */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { createInferenceServer, type CreateServerOptions } from '../../src/create-server.js';
import type { InferenceRequestInit, InferenceResponse, InferenceServer } from '../../src/core/index.js';
import { Logger } from '../../src/observability/log.js';
import { makeRepo, type RepoFiles } from '../support/temp-repo.js';

export interface ContractFixture {
  /** Repository files; the model under test is `m` (ensembles add their steps). */
  readonly files: RepoFiles;
  /** The model's rows carry a batch dimension (max_batch_size > 0). */
  readonly batched: boolean;
  /** Answers arrive through inferStream, possibly as several responses. */
  readonly decoupled?: boolean;
  /** OUTPUT0 values of all responses for input [v, v + 1]. */
  readonly expected: (v: number) => number[];
  /** Extra request fields for request number i (sequence ids and flags). */
  readonly extra?: (i: number) => Partial<InferenceRequestInit>;
  readonly server?: Partial<CreateServerOptions>;
  /** Models to load besides `m` (ensemble steps). */
  readonly alsoLoad?: readonly string[];
  /** Tensor names when not INPUT0 / OUTPUT0. */
  readonly input?: string;
  readonly output?: string;
}

export interface Harness {
  readonly server: InferenceServer;
  /** Sends request i with value v; resolves with all its responses (the last is final). */
  send(i: number, v: number, init?: Partial<InferenceRequestInit>): Promise<InferenceResponse[]>;
  close(): Promise<void>;
}

export async function startHarness(f: ContractFixture): Promise<Harness> {
  const repo = makeRepo(f.files);
  const { server } = await createInferenceServer({
    modelRepository: repo.dir, modelControlMode: 'explicit', loadModels: [...(f.alsoLoad ?? []), 'm'],
    logger: new Logger({ info: false, warning: false, error: false }), ...f.server,
  });
  const send = (i: number, v: number, init: Partial<InferenceRequestInit> = {}): Promise<InferenceResponse[]> => {
    const request: InferenceRequestInit = {
      modelName: 'm', id: String(i),
      inputs: [{ name: f.input ?? 'INPUT0', datatype: 'INT32', shape: f.batched ? [1, 2] : [2], data: int32([v, v + 1]) }],
      ...f.extra?.(i), ...init,
    };
    return new Promise((resolve, reject) => {
      const all: InferenceResponse[] = [];
      try {
        server.inferStream(request, (r) => {
          all.push(r);
          if (r.final) resolve(all);
        });
      } catch (err) {
        reject(err);
      }
    });
  };
  return {
    server, send,
    async close() {
      await server.shutdown(5000);
      repo.cleanup();
    },
  };
}

export const int32 = (values: readonly number[]): Uint8Array => new Uint8Array(new Int32Array(values).buffer);

/** OUTPUT0 values over all responses; fails on an error response. */
export function outputValues(responses: readonly InferenceResponse[], name = 'OUTPUT0'): number[] {
  const out: number[] = [];
  for (const r of responses) {
    assert.equal(r.error, undefined, r.error?.message);
    const t = r.outputs.find((o) => o.name === name);
    if (t !== undefined) out.push(...new Int32Array(t.data.slice().buffer));
  }
  return out;
}

export function abortListeners(signal: AbortSignal): number {
  return getEventListeners(signal, 'abort').length;
}

export function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

/** Lets timers a finished request cleared leave the active list. */
export const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

/** Checks both suites share: 8 concurrent requests each get their own values. */
export async function checkOwnValues(h: Harness, f: ContractFixture): Promise<void> {
  const answers = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((i) => h.send(i, 10 * i)));
  answers.forEach((a, i) => assert.deepEqual(outputValues(a, f.output), f.expected(10 * i), `request ${i}`));
}

/** `count` requests on one signal: once answered, no abort listener is left on it and no timer is left running. */
export async function checkNoLeaks(h: Harness, f: ContractFixture, count: number): Promise<void> {
  await h.send(100, 1);
  await settle();
  const before = timers();
  const controller = new AbortController();
  const answers = await Promise.all(Array.from({ length: count }, (_, i) => h.send(200 + i, i, { signal: controller.signal })));
  answers.forEach((a, i) => assert.deepEqual(outputValues(a, f.output), f.expected(i)));
  assert.equal(abortListeners(controller.signal), 0);
  await settle();
  assert.ok(timers() <= before, `timers before ${before}, after ${timers()}`);
}
