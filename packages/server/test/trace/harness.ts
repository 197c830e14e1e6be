/**
 * Test support for tracing and logging: identity models in a temp repository, a real InferenceServer
 * with a TraceManager and a Logger attached (as `inferd serve` does), behind real HTTP and gRPC
 * frontends on ephemeral ports. Log lines are captured instead of written to stderr.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInferenceServer } from '../../src/create-server.js';
import type { InferenceServer } from '../../src/core/index.js';
import { GrpcFrontend } from '../../src/frontends/grpc/index.js';
import { HttpFrontend } from '../../src/frontends/http/index.js';
import { Logger } from '../../src/observability/log.js';
import { parseTraceConfig } from '../../src/observability/trace-config.js';
import { TraceManager } from '../../src/observability/trace-manager.js';
import { connect, type TestClient } from '../support/grpc-client.js';
import { identityConfig, makeRepo } from '../support/temp-repo.js';

export interface TraceHarness {
  readonly server: InferenceServer;
  readonly tracer: TraceManager;
  readonly logger: Logger;
  readonly lines: string[];
  readonly httpPort: number;
  readonly grpc: TestClient;
  /** A fresh temp dir for trace files. */
  readonly dir: string;
  close(): Promise<void>;
}

/** `traceConfig` entries may name `$DIR`, replaced by the harness's temp dir. */
export async function startTraced(traceConfig: readonly string[]): Promise<TraceHarness> {
  const repo = makeRepo({
    'ident/config.pbtxt': identityConfig(),
    'ident/1/': null,
    'other/config.pbtxt': identityConfig(),
    'other/1/': null,
  });
  const dir = mkdtempSync(join(tmpdir(), 'inferd-trace-'));
  const lines: string[] = [];
  const logger = new Logger();
  logger.write = (line) => lines.push(line);
  const { server, tracer } = await createInferenceServer({
    modelRepository: repo.dir, logger, trace: parseTraceConfig(traceConfig.map((e) => e.replace('$DIR', dir))),
  });
  const http = new HttpFrontend(server, { port: 0, address: '127.0.0.1', maxInputSize: 1 << 20 });
  const { port: httpPort } = await http.listen();
  const grpcFrontend = new GrpcFrontend(server, { port: 0, address: '127.0.0.1' });
  const { port: grpcPort } = await grpcFrontend.listen();
  const grpc = connect(grpcPort);
  return {
    server, tracer, logger, lines, httpPort, grpc, dir,
    async close() {
      grpc.close();
      await Promise.all([http.close(), grpcFrontend.close()]);
      await server.shutdown(1000);
      await tracer.shutdown();
      repo.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** JSON body of an identity infer request with a request id. */
export function identityRequest(id: string, values: readonly number[] = [1, 2, 3]): string {
  return JSON.stringify({ id, inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, values.length], data: values }] });
}
