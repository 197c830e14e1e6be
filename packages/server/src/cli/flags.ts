/**
 * tritonserver's command-line flags (spec §8) with their names and defaults, as one table. Flags that
 * inferd accepts for compatibility but does not act on yet are marked `accepted`: setting one logs a
 * warning instead of failing, so existing launch scripts keep working.
 */

import { DEFAULT_HTTP2_WINDOWS } from '../frontends/grpc/http2-windows.js';

export type FlagKind = 'bool' | 'int' | 'string' | 'list' | 'switch';

export interface FlagDef {
  readonly name: string;
  readonly kind: FlagKind;
  readonly help: string;
  readonly default?: string | number | boolean;
  /** Parsed for compatibility; no effect yet. */
  readonly accepted?: true;
  /** Another flag this one is an alias of (values merge into the target). */
  readonly aliasOf?: string;
}

const f = (name: string, kind: FlagKind, help: string, extra: Partial<FlagDef> = {}): FlagDef => ({ name, kind, help, ...extra });

export const SERVE_FLAGS: readonly FlagDef[] = [
  f('model-repository', 'list', 'Model repository path; repeat for several repositories (required)'),
  f('model-store', 'list', 'Alias of --model-repository', { aliasOf: 'model-repository' }),
  f('model-control-mode', 'string', 'none | poll | explicit', { default: 'none' }),
  f('load-model', 'list', 'Model to load at start in explicit mode; repeat for several; * = all'),
  f('repository-poll-secs', 'int', 'Poll mode: seconds between repository scans', { default: 15 }),
  f('model-config-name', 'string', 'Prefer <model>/configs/<name>.pbtxt over config.pbtxt'),
  f('model-load-thread-count', 'int', 'Models loaded in parallel', { default: 4 }),
  f('model-load-retry-count', 'int', 'Further attempts after a model fails to load', { default: 0 }),
  f('model-load-on-demand', 'bool', 'inferd, explicit mode: an infer request for a model in the repository that is not loaded loads it and waits for it', { default: false }),
  f('model-max-loaded', 'int', 'inferd, explicit mode: the most models loaded at once; the least recently used idle unpinned one is unloaded to make room'),
  f('model-memory-budget', 'int', 'inferd, explicit mode: the most estimated bytes of loaded models (file size or measured RSS growth, the larger); least recently used idle models are unloaded to make room'),
  f('disable-auto-complete-config', 'switch', 'Do not complete model configurations from the model files'),
  f('strict-model-config', 'bool', 'DEPRECATED inverse of --disable-auto-complete-config', { default: false }),
  f('strict-readiness', 'bool', 'Server ready only when every model is ready', { default: true }),
  f('exit-on-error', 'bool', 'Fail start-up when any model fails to load', { default: true }),
  f('exit-timeout-secs', 'int', 'Seconds to wait for in-flight requests at shutdown', { default: 30 }),
  f('drain-delay-secs', 'int', 'inferd: on SIGTERM, seconds of not-ready-but-serving before refusing new requests (for load balancers to notice)', { default: 0 }),
  f('id', 'string', 'Server name reported in server metadata', { default: 'triton' }),
  f('backend-directory', 'string', 'Directory of plug-in backends (<dir>/<name>/index.js)', { default: '/opt/tritonserver/backends' }),
  f('backend-config', 'list', '<backend>,<key>=<value> or global <key>=<value>, e.g. onnxruntime,default-max-batch-size=8'),
  f('repoagent-directory', 'string', 'Repository agent directory', { default: '/opt/tritonserver/repoagents', accepted: true }),
  f('cache-directory', 'string', 'Cache plug-in directory', { default: '/opt/tritonserver/caches', accepted: true }),
  f('allow-http', 'bool', 'Serve KServe v2 HTTP/REST', { default: true }),
  f('http-port', 'int', 'HTTP port', { default: 8000 }),
  f('http-address', 'string', 'HTTP listen address', { default: '0.0.0.0' }),
  f('reuse-http-port', 'bool', 'SO_REUSEPORT for HTTP', { default: false, accepted: true }),
  f('http-thread-count', 'int', 'HTTP worker threads (Node serves HTTP on its event loop)', { default: 8, accepted: true }),
  f('http-max-input-size', 'int', 'Largest accepted request body in bytes (also after decompression)', { default: 67108864 }),
  f('http-header-forward-pattern', 'string', 'Regex (case-insensitive unless (?-i)); matching HTTP headers become infer request parameters'),
  f('allow-console', 'bool', 'Serve the web console at /console on the HTTP port (restricted group: console)', { default: true }),
  f('http-restricted-api', 'list', '<api groups>:<key>=<value>; those APIs need header <key>: <value>'),
  f('allow-grpc', 'bool', 'Serve the KServe v2 / Triton gRPC protocol', { default: true }),
  f('grpc-port', 'int', 'gRPC port', { default: 8001 }),
  f('grpc-address', 'string', 'gRPC listen address', { default: '0.0.0.0' }),
  f('reuse-grpc-port', 'bool', 'SO_REUSEPORT for gRPC', { default: false, accepted: true }),
  f('grpc-infer-thread-count', 'int', 'gRPC inference threads', { default: 2, accepted: true }),
  f('grpc-infer-allocation-pool-size', 'int', 'gRPC allocation pool', { default: 8, accepted: true }),
  f('grpc-max-response-pool-size', 'int', 'gRPC response pool', { accepted: true }),
  f('grpc-use-ssl', 'bool', 'gRPC TLS', { default: false }),
  f('grpc-use-ssl-mutual', 'bool', 'gRPC mutual TLS', { default: false }),
  f('grpc-server-cert', 'string', 'PEM server certificate'),
  f('grpc-server-key', 'string', 'PEM server key'),
  f('grpc-root-cert', 'string', 'PEM root certificate'),
  f('grpc-infer-response-compression-level', 'string', 'none|low|medium|high', { default: 'none' }),
  f('grpc-keepalive-time', 'int', 'ms', { default: 7200000 }),
  f('grpc-keepalive-timeout', 'int', 'ms', { default: 20000 }),
  f('grpc-keepalive-permit-without-calls', 'bool', '', { default: false }),
  f('grpc-http2-max-pings-without-data', 'int', '', { default: 2 }),
  f('grpc-http2-min-recv-ping-interval-without-data', 'int', 'ms', { default: 300000 }),
  f('grpc-http2-max-ping-strikes', 'int', '', { default: 2 }),
  f('grpc-http2-stream-window-size', 'int', 'HTTP/2 flow-control window of each gRPC call in bytes (SETTINGS_INITIAL_WINDOW_SIZE), 65535 to 2147483647', { default: DEFAULT_HTTP2_WINDOWS.stream }),
  f('grpc-http2-connection-window-size', 'int', 'HTTP/2 flow-control window of each gRPC connection in bytes, 65535 to 2147483647', { default: DEFAULT_HTTP2_WINDOWS.connection }),
  f('grpc-max-connection-age', 'int', 'ms'),
  f('grpc-max-connection-age-grace', 'int', 'ms'),
  f('grpc-header-forward-pattern', 'string', 'Regex (case-insensitive unless (?-i)); matching gRPC metadata become infer request parameters'),
  f('grpc-restricted-protocol', 'list', '<protocols>:<key>=<value>; those RPCs need metadata triton-grpc-protocol-<key>: <value>'),
  f('allow-metrics', 'bool', 'Serve Prometheus metrics on --metrics-port (GET /metrics)', { default: true }),
  f('allow-gpu-metrics', 'bool', 'GPU utilization, memory, power and energy gauges (from nvidia-smi)', { default: true }),
  f('allow-cpu-metrics', 'bool', 'CPU utilization and memory gauges (from /proc)', { default: true }),
  f('allow-runtime-metrics', 'bool', 'inferd: Node.js runtime metrics (event-loop delay and utilization, heap, RSS, GC; prom-client\'s nodejs_*/process_* names)', { default: false }),
  f('metrics-port', 'int', 'Metrics port', { default: 8002 }),
  f('metrics-address', 'string', 'Metrics listen address (default: --http-address)'),
  f('metrics-interval-ms', 'int', 'How often the CPU and memory gauges are sampled, in ms', { default: 2000 }),
  f('metrics-config', 'list', 'counter_latencies|histogram_latencies|summary_latencies=<bool>, summary_quantiles=<q>:<err>,...'),
  f('log-verbose', 'int', 'Verbose log level (0 = off)', { default: 0 }),
  f('log-info', 'bool', 'Log info messages', { default: true }),
  f('log-warning', 'bool', 'Log warnings', { default: true }),
  f('log-error', 'bool', 'Log errors', { default: true }),
  f('log-format', 'string', 'default | ISO8601 | json (inferd: one JSON object per line)', { default: 'default' }),
  f('log-file', 'string', 'Append log lines to this file instead of stderr'),
  f('trace-config', 'list', '[triton|opentelemetry,]<key>=<value>: level, rate, count, mode; triton: file, log-frequency; opentelemetry: url, resource, bsp_*'),
  f('trace-file', 'string', 'DEPRECATED: --trace-config triton,file=<path>'),
  f('trace-level', 'list', 'DEPRECATED: --trace-config level=<OFF|TIMESTAMPS|TENSORS>'),
  f('trace-rate', 'int', 'DEPRECATED: --trace-config rate=<n>'),
  f('trace-count', 'int', 'DEPRECATED: --trace-config count=<n>'),
  f('trace-log-frequency', 'int', 'DEPRECATED: --trace-config triton,log-frequency=<n>'),
  f('rate-limit', 'string', 'off | execution_count: instances run only when their rate_limiter resources are free', { default: 'off' }),
  f('rate-limit-resource', 'list', '<name>:<count>[:<device>]: available copies of a rate limiter resource (no device = every device)'),
  f('cache-config', 'list', '<cache>,<key>=<value>; only the local cache: local,size=<bytes>'),
  f('response-cache-byte-size', 'int', 'DEPRECATED: same as --cache-config local,size=<bytes>'),
  f('allow-client-shm', 'bool', 'Allow client shared memory', { default: false }),
  f('pinned-memory-pool-byte-size', 'int', 'bytes', { default: 268435456, accepted: true }),
  f('cuda-memory-pool-byte-size', 'list', '<device>:<bytes>', { accepted: true }),
  f('cuda-virtual-address-size', 'list', '<device>:<bytes>', { accepted: true }),
  f('min-supported-compute-capability', 'string', 'GPUs below this CUDA compute capability get no instances', { default: '6.0' }),
  f('model-load-gpu-limit', 'list', 'GPU only', { accepted: true }),
  f('enable-peer-access', 'bool', 'GPU only', { default: true, accepted: true }),
  f('buffer-manager-thread-count', 'int', '', { default: 0, accepted: true }),
  f('host-policy', 'list', '<name>,<setting>=<value>', { accepted: true }),
  f('model-namespacing', 'bool', 'Same model name in different repositories', { default: false, accepted: true }),
  f('allow-sagemaker', 'bool', 'SageMaker frontend', { default: false, accepted: true }),
  f('sagemaker-port', 'int', '', { default: 8080, accepted: true }),
  f('allow-vertex-ai', 'bool', 'Vertex AI frontend', { default: false, accepted: true }),
];

/** Triton's boolean spellings. */
export function parseBool(value: string): boolean | undefined {
  switch (value.toLowerCase()) {
    case 'true': case 'on': case '1': case 'yes': return true;
    case 'false': case 'off': case '0': case 'no': return false;
    default: return undefined;
  }
}
