/**
 * GrpcFrontendOptions (tritonserver's --grpc-* flags) -> grpc-js server options and credentials.
 * grpc-js enforces keepalive time/timeout and connection age; the HTTP/2 ping policy options keep
 * their gRPC C-core names (grpc-js ignores what it does not implement). grpc-js cannot compress
 * server responses, so a compression level other than `none` is accepted and reported once.
 */
import { ServerCredentials, type ChannelOptions } from '@grpc/grpc-js';
import { ServerError } from '../../core/index.js';
import type { RestrictedApis } from '../common/restricted-apis.js';
import { checkWindowSize, DEFAULT_HTTP2_WINDOWS, type Http2Windows } from './http2-windows.js';

export interface GrpcFrontendOptions {
  /** `--grpc-port` (8001); 0 = ephemeral. */
  port: number;
  /** `--grpc-address` (0.0.0.0). */
  address: string;
  /** `--grpc-use-ssl[-mutual]`, `--grpc-server-cert/-key/-root-cert` (PEM bytes). */
  tls?: { cert: Buffer; key: Buffer; rootCert?: Buffer; mutual: boolean };
  /** `--grpc-keepalive-*`, `--grpc-http2-*`, `--grpc-max-connection-age[-grace]` (ms). */
  keepalive?: {
    timeMs?: number;
    timeoutMs?: number;
    permitWithoutCalls?: boolean;
    maxPingsWithoutData?: number;
    minRecvPingIntervalWithoutDataMs?: number;
    maxPingStrikes?: number;
    maxConnectionAgeMs?: number;
    maxConnectionAgeGraceMs?: number;
  };
  /**
   * `--grpc-http2-stream-window-size` / `--grpc-http2-connection-window-size` (bytes); absent parts take
   * DEFAULT_HTTP2_WINDOWS (4 MiB each). See http2-windows.ts.
   */
  http2Windows?: Partial<Http2Windows>;
  /** `--grpc-infer-response-compression-level`. */
  responseCompression?: 'none' | 'low' | 'medium' | 'high';
  /** `--grpc-restricted-protocol`: keys carry the `triton-grpc-protocol-` prefix (spec §4.6). */
  restrictedApis?: RestrictedApis;
  /** `--grpc-header-forward-pattern`: ModelInfer/ModelStreamInfer metadata whose key matches becomes string parameters. */
  headerForwardPattern?: RegExp;
  /** `fields`: structured values for `--log-format=json` (the message names them too). */
  log?: (level: 'info' | 'warning' | 'error' | 'verbose', message: string, fields?: Readonly<Record<string, string | number | boolean>>) => void;
}

export function serverOptions(options: GrpcFrontendOptions): ChannelOptions {
  // Triton allows messages up to INT32_MAX; -1 lifts grpc-js's 4 MB receive default.
  const out: ChannelOptions = { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 };
  const k = options.keepalive;
  if (k === undefined) return out;
  const set = (key: string, value: number | undefined): void => {
    if (value !== undefined) out[key] = value;
  };
  set('grpc.keepalive_time_ms', k.timeMs);
  set('grpc.keepalive_timeout_ms', k.timeoutMs);
  set('grpc.keepalive_permit_without_calls', k.permitWithoutCalls === undefined ? undefined : Number(k.permitWithoutCalls));
  set('grpc.http2.max_pings_without_data', k.maxPingsWithoutData);
  set('grpc.http2.min_ping_interval_without_data_ms', k.minRecvPingIntervalWithoutDataMs);
  set('grpc.http2.max_ping_strikes', k.maxPingStrikes);
  set('grpc.max_connection_age_ms', k.maxConnectionAgeMs);
  set('grpc.max_connection_age_grace_ms', k.maxConnectionAgeGraceMs);
  return out;
}

/** The windows to install, defaults filled in; INVALID_ARG for a size out of range. */
export function http2Windows(options: GrpcFrontendOptions): Http2Windows {
  const w = options.http2Windows;
  return {
    stream: checkWindowSize(w?.stream ?? DEFAULT_HTTP2_WINDOWS.stream, '--grpc-http2-stream-window-size'),
    connection: checkWindowSize(w?.connection ?? DEFAULT_HTTP2_WINDOWS.connection, '--grpc-http2-connection-window-size'),
  };
}

export function credentials(options: GrpcFrontendOptions): ServerCredentials {
  const tls = options.tls;
  if (tls === undefined) return ServerCredentials.createInsecure();
  if (tls.mutual && tls.rootCert === undefined) {
    throw ServerError.invalidArg('--grpc-use-ssl-mutual needs --grpc-root-cert to verify client certificates');
  }
  return ServerCredentials.createSsl(tls.rootCert ?? null, [{ private_key: tls.key, cert_chain: tls.cert }], tls.mutual);
}

/** `host:port` for grpc-js's bind (IPv6 literals bracketed). */
export function bindTarget(address: string, port: number): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]:${port}` : `${address}:${port}`;
}
