/** `inferd serve`: load the repositories, start the frontends, drain and exit on SIGINT/SIGTERM. */
import { killStubs } from '../backends/python/stub-process.js';
import { createInferenceServer } from '../create-server.js';
import { readFileSync } from 'node:fs';
import { GrpcFrontend, type GrpcFrontendOptions } from '../frontends/grpc/index.js';
import { HttpFrontend } from '../frontends/http/index.js';
import { Logger } from '../observability/log.js';
import { SERVER_VERSION } from '../core/server.js';
import { INFERD_VERSION } from '../core/release.js';
import { MetricsServer } from '../observability/metrics-server.js';
import type { GrpcListenerSettings, ServeSettings } from './options.js';
import { appliedV8MemoryFlags } from './memory-bounded-heap.js';

export interface RunningServer {
  /** Where HTTP listens (undefined when --allow-http=false). */
  readonly http: { address: string; port: number } | undefined;
  /** Where gRPC listens (undefined when --allow-grpc=false). */
  readonly grpc: { address: string; port: number } | undefined;
  /** Where the Prometheus metrics listen (undefined when --allow-metrics=false). */
  readonly metrics: { address: string; port: number } | undefined;
  /**
   * Stops accepting, drains in-flight requests and unloads models within --exit-timeout-secs. Resolves
   * false when the timeout passed first (Python stubs are then killed; the CLI exits with 1, as Triton).
   */
  stop(): Promise<boolean>;
}

export async function serve(settings: ServeSettings, logger = new Logger(settings.log)): Promise<RunningServer> {
  // Which release is running, next to what Triton clients are told (Triton logs server_id/server_version too).
  logger.info('server', `inferd ${INFERD_VERSION} (server_id ${settings.server.id}, server_version ${SERVER_VERSION})`,
    { inferd_version: INFERD_VERSION, server_id: settings.server.id ?? '', server_version: SERVER_VERSION });
  for (const flag of settings.acceptedButIgnored) {
    logger.warning('server', `--${flag} is accepted for compatibility but has no effect in this version of inferd`);
  }
  const v8Flags = appliedV8MemoryFlags();
  if (v8Flags.length > 0) logger.info('server', `memory-bounded server: V8 heap flags ${v8Flags.join(' ')}`, { v8_flags: v8Flags.join(' ') });
  const { server, failedModels, metrics, tracer } = await createInferenceServer({ ...settings.server, logger });
  if (failedModels.length > 0) logger.warning('server', `models that failed to load: ${failedModels.join(', ')}`);
  for (const row of server.repositoryIndex()) {
    const line = `model ${row.name}${row.version ? ` version ${row.version}` : ''}: ${row.state ?? 'UNKNOWN'}${row.reason ? ` (${row.reason})` : ''}`;
    // With --exit-on-error=false (npm start) a model that failed is one warning line with its reason,
    // e.g. the Python module it misses and the package that provides it.
    const fields = { model: row.name, ...(row.version ? { version: Number(row.version) } : {}), state: row.state ?? 'UNKNOWN' };
    if (failedModels.includes(row.name)) logger.warning('server', line, fields);
    else logger.info('server', line, fields);
  }

  let metricsServer: MetricsServer | undefined;
  let metricsAddress: { address: string; port: number } | undefined;
  // Metrics first, so their listener is up once the inference services report theirs.
  if (metrics !== undefined && settings.metrics !== undefined) {
    metricsServer = new MetricsServer(metrics, {
      ...settings.metrics,
      log: { info: (m) => logger.info('metrics', m), error: (m) => logger.error('metrics', m) },
    });
    try {
      metricsAddress = await metricsServer.listen();
    } catch (err) {
      await server.shutdown(0);
      throw err;
    }
  }

  let http: HttpFrontend | undefined;
  let httpAddress: { address: string; port: number } | undefined;
  if (settings.http !== undefined) {
    const consoleOptions = settings.http.console;
    http = new HttpFrontend(server, {
      ...settings.http,
      log: logger.forComponent('http_server'),
      // The console shows the metrics page's text when there are metrics.
      ...(consoleOptions === undefined || metrics === undefined ? {} : { console: { ...consoleOptions, metricsText: () => metrics.text() } }),
    });
    try {
      // The frontend itself logs "Started HTTPService at ADDRESS:PORT", as Triton does.
      httpAddress = await http.listen();
    } catch (err) {
      await metricsServer?.close();
      await server.shutdown(0);
      throw err;
    }
  }
  let grpc: GrpcFrontend | undefined;
  let grpcAddress: { address: string; port: number } | undefined;
  if (settings.grpc !== undefined) {
    grpc = new GrpcFrontend(server, grpcOptions(settings.grpc, logger));
    try {
      grpcAddress = await grpc.listen();
    } catch (err) {
      await Promise.all([http?.close(), metricsServer?.close()]);
      await server.shutdown(0);
      throw err;
    }
  }
  let stopping: Promise<boolean> | undefined;
  const stop = (): Promise<boolean> => {
    stopping ??= (async () => {
      // Graceful drain, in Kubernetes' order: readiness turns false first and requests are still served
      // for --drain-delay-secs, so the endpoints controller / load balancer stops routing here.
      server.beginDrain();
      if (settings.drainDelaySecs > 0) {
        logger.info('server', `draining: not ready, still serving for ${settings.drainDelaySecs} s`);
        await new Promise((r) => setTimeout(r, settings.drainDelaySecs * 1000));
      }
      const timeoutMs = settings.exitTimeoutSecs * 1000;
      logger.info('server', `stopping: waiting up to ${settings.exitTimeoutSecs} s for in-flight requests`);
      // As Triton, --exit-timeout-secs bounds the whole stop: draining and unloading. An execute that
      // never returns keeps its model's unload waiting for ever; past the timeout the server gives up.
      // The listeners stay open meanwhile (Triton stops its endpoints after the core), so a request that
      // still arrives is answered UNAVAILABLE ("Server is stopping") instead of a refused connection.
      const stopped = (async () => {
        await server.shutdown(timeoutMs);
        await tracer.shutdown().catch((err: unknown) => logger.error('tracing', String(err)));
        return true;
      })();
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
      const clean = await Promise.race([stopped, expired]);
      clearTimeout(timer);
      const closing = Promise.all([http?.close(), grpc?.close(), metricsServer?.close()]);
      if (!clean) {
        // The stubs still inside a model's execute would outlive the process otherwise.
        const killed = await killStubs();
        logger.error('server', `failed to stop server: Exit timeout expired. Exiting immediately.${killed > 0 ? ` (killed ${killed} Python stub process${killed === 1 ? '' : 'es'})` : ''}`);
        return false;
      }
      // Open gRPC streams and idle keep-alive sockets get a second, not more, to go away.
      await Promise.race([closing, new Promise((r) => setTimeout(r, 1000).unref())]);
      logger.info('server', 'stopped');
      return true;
    })();
    return stopping;
  };
  return { http: httpAddress, grpc: grpcAddress, metrics: metricsAddress, stop };
}

/** The gRPC listener's settings with the certificates read (a missing file fails start-up, not parsing). */
function grpcOptions(settings: GrpcListenerSettings, logger: Logger): GrpcFrontendOptions {
  const { tls, ...rest } = settings;
  return {
    ...rest,
    ...(tls === undefined
      ? {}
      : {
          tls: {
            cert: readFileSync(tls.cert),
            key: readFileSync(tls.key),
            ...(tls.rootCert === undefined ? {} : { rootCert: readFileSync(tls.rootCert) }),
            mutual: tls.mutual,
          },
        }),
    log: logger.forComponent('grpc_server'),
  };
}
