/**
 * The body of one `--workers` thread (see load-workers.ts): its own RemoteTransport, the input sets
 * prepared once, then one ConcurrencyLoad or RequestRateLoad per level as the main thread asks.
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { ServerError } from 'inferd';
import { ConcurrencyLoad, RequestRateLoad, type Load } from './load.js';
import type { FromWorker, ToWorker, WorkerInit } from './load-workers.js';
import { RemoteTransport } from './remote.js';
import type { PreparedRequest } from './transport.js';

const port = parentPort!;
const init = workerData as WorkerInit;
const send = (m: FromWorker): void => port.postMessage(m);
const errorOf = (err: unknown): { message: string; code?: string } => {
  const e = ServerError.from(err);
  return { message: e.message, code: e.code };
};

let transport: RemoteTransport;
let requests: PreparedRequest[];
try {
  transport = new RemoteTransport(init.options);
  requests = await Promise.all(init.sets.map((s) => transport.prepare(init.options.modelName, init.options.modelVersion, s)));
  send({ type: 'ready' });
} catch (err) {
  send({ type: 'failed', ...errorOf(err) });
  process.exit(0);
}

let load: Load | undefined;
let timer: NodeJS.Timeout | undefined;

/** Completed requests since the last reply, as epoch-ms pairs (one clock for every thread). */
function completed(): FromWorker {
  const done = load?.recorder.take() ?? [];
  const times = new Float64Array(done.length * 2);
  done.forEach((c, i) => {
    times[2 * i] = performance.timeOrigin + c.startMs;
    times[2 * i + 1] = performance.timeOrigin + c.endMs;
  });
  const error = load?.recorder.error;
  return { type: 'completed', times, outstanding: load?.outstanding ?? 0, ...(error === undefined ? {} : { error: errorOf(error) }) };
}

port.on('message', (m: ToWorker) => {
  void (async () => {
    switch (m.type) {
      case 'start': {
        load = m.mode === 'concurrency'
          ? new ConcurrencyLoad(transport, requests, m.value)
          : new RequestRateLoad(transport, requests, m.value, init.options.requestDistribution, m.seed);
        const started = load;
        timer = setTimeout(() => started.start(), m.delayMs);
        break;
      }
      case 'sync':
        send(completed());
        break;
      case 'stop':
        if (timer !== undefined) clearTimeout(timer);
        await load?.stop();
        send(completed());
        load = undefined;
        break;
      case 'close':
        await transport.close();
        port.close();
        break;
    }
  })();
});
