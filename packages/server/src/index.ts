/** inferd's public surface: the in-process API, its types, and the backend contract for plug-ins. */
export * from './core/index.js';
export * from './create-server.js';
export type * from './backends/contract.js';
export type { ModelConfig } from './config/types.js';
export { Logger, type LogSettings, type LogFormat } from './observability/log.js';
export { HttpFrontend, type HttpFrontendOptions } from './frontends/http/index.js';
export { GrpcFrontend, type GrpcFrontendOptions } from './frontends/grpc/index.js';
export { parseModelConfigText, printModelConfigText, parseModelConfigJson } from './config/index.js';
export { MetricsRegistry, type MetricsOptions } from './observability/metrics.js';
export { MetricsServer, type MetricsServerOptions } from './observability/metrics-server.js';
export { parseMetricsConfig, type MetricsConfig } from './observability/metrics-config.js';
export { TraceManager } from './observability/trace-manager.js';
export { parseTraceConfig, type TraceConfig } from './observability/trace-config.js';
