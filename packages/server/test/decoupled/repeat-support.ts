/**
 * Test support for decoupled models: a temp repository holding the committed repeat_int32 example,
 * and a collector that records every response of `inferStream` with its arrival time.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeBytesElements } from '@inferd/protocol';
import type { InferenceRequestInit, InferenceResponse, InferenceServer, Tensor } from '../../src/core/index.js';

export const REPEAT_CONFIG = readFileSync(
  fileURLToPath(new URL('../../../../examples/models/repeat_int32/config.pbtxt', import.meta.url)),
  'utf8',
);

export function int32(values: readonly number[]): Uint8Array {
  return new Uint8Array(new Int32Array(values).buffer);
}

export function uint32(values: readonly number[]): Uint8Array {
  return new Uint8Array(new Uint32Array(values).buffer);
}

/** A repeat_int32 request: IN = values, DELAY (ms per response) and WAIT when given. */
export function repeatInit(values: readonly number[], delays?: readonly number[], waitMs?: number): InferenceRequestInit {
  const inputs: Tensor[] = [{ name: 'IN', datatype: 'INT32', shape: [values.length], data: int32(values) }];
  if (delays !== undefined) inputs.push({ name: 'DELAY', datatype: 'UINT32', shape: [delays.length], data: uint32(delays) });
  if (waitMs !== undefined) inputs.push({ name: 'WAIT', datatype: 'UINT32', shape: [1], data: uint32([waitMs]) });
  return { modelName: 'repeat_int32', inputs };
}

export interface Arrival {
  readonly response: InferenceResponse;
  /** ms since `collect` was called. */
  readonly at: number;
}

/** Runs `init` through inferStream; resolves with every response once the final one arrived. */
export function collect(server: InferenceServer, init: InferenceRequestInit, onResponse?: (r: InferenceResponse) => void): {
  done: Promise<Arrival[]>;
  arrivals: Arrival[];
} {
  const start = performance.now();
  const arrivals: Arrival[] = [];
  let finish!: (a: Arrival[]) => void;
  const done = new Promise<Arrival[]>((resolve) => (finish = resolve));
  server.inferStream(init, (response) => {
    arrivals.push({ response, at: performance.now() - start });
    onResponse?.(response);
    if (response.final) finish(arrivals);
  });
  return { done, arrivals };
}

/** A response's tensors as plain values: INT32/UINT32 as numbers, BYTES as strings. */
export function valuesOf(r: InferenceResponse): Record<string, (number | string)[]> {
  const out: Record<string, (number | string)[]> = {};
  for (const t of r.outputs) {
    const copy = t.data.slice();
    if (t.datatype === 'INT32') out[t.name] = [...new Int32Array(copy.buffer)];
    else if (t.datatype === 'UINT32') out[t.name] = [...new Uint32Array(copy.buffer)];
    else if (t.datatype === 'BYTES') out[t.name] = decodeBytesElements(copy).map((b) => Buffer.from(b).toString());
    else throw new Error(`unexpected datatype ${t.datatype}`);
  }
  return out;
}
