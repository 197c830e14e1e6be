/**
 * HTTP/2 flow-control windows of the gRPC server's connections. grpc-js's server keeps Node's HTTP/2
 * defaults, 64 KiB per stream and per connection: a peer may send that much before it must wait for
 * our WINDOW_UPDATE, so one connection carries about one window per round trip of the event loop
 * (~110 MB/s here), whatever the concurrency. gRPC C-core (Triton) grows its windows by probing the
 * bandwidth-delay product; grpc-js offers no server option for either window, so they are set here:
 *
 * - the stream window (SETTINGS_INITIAL_WINDOW_SIZE) goes into the `settings` grpc-js passes to
 *   `http2.createServer`, so the first SETTINGS frame of every connection already carries it;
 * - the connection window can only be raised by a WINDOW_UPDATE on the session, so each new session
 *   gets `setLocalWindowSize` as it is created (Node's 'session' event on grpc-js's HTTP/2 server).
 *
 * Both reach members grpc-js does not document (`commonServerOptions`, `createHttp2Server` of Server),
 * as frame-interceptor.ts does; each is touched only when found in the expected form. Without them the
 * session hook alone sends the stream window in a second SETTINGS frame; without the hook, connections
 * keep 64 KiB windows (correct, only slower) and `installHttp2Windows` says so.
 */
import type { Http2Session, Settings } from 'node:http2';
import type { Server } from '@grpc/grpc-js';
import { ServerError } from '../../core/index.js';

export interface Http2Windows {
  /** Bytes a peer may send on one stream (one call) before our WINDOW_UPDATE. */
  readonly stream: number;
  /** Bytes a peer may send on the whole connection (all its calls) before our WINDOW_UPDATE. */
  readonly connection: number;
}

/**
 * 4 MiB each: 6 calls of 600 KiB in flight on one connection without waiting for a WINDOW_UPDATE.
 *
 * Not more, because Node's HTTP/2 stops reading its socket while one of its own socket writes is
 * pending (node_http2.cc `MaybeStopReading`), and so does a Node client (grpc-js, @inferd/client). With
 * 16 MiB windows both ways, a peer could send us more than the kernel's socket buffers hold while our
 * replies filled them the other way: each side then waited for its write with reading stopped, and the
 * connection stalled for good (bench/grpc-large-tensors at concurrency 16: 8 of 10 runs with a bare
 * node:http2 client, 3-4 of 15 with grpc-js; the calls never finished). A connection window the
 * kernel can absorb while we are not reading keeps the peer's writes completing, so it keeps reading
 * ours: no stall in 25 runs at 4 MiB (nor 10 at 1 MiB), with the same throughput (bench/RESULTS.md).
 */
export const DEFAULT_HTTP2_WINDOWS: Http2Windows = { stream: 4 << 20, connection: 4 << 20 };

/** HTTP/2's own default window, and its largest (2^31 - 1, RFC 9113 §6.9). */
export const MIN_HTTP2_WINDOW = 65_535;
export const MAX_HTTP2_WINDOW = 2 ** 31 - 1;

/**
 * A window size from a flag or an option; INVALID_ARG names `what` and the allowed range. Smaller than
 * HTTP/2's default is refused: it would only slow the peer down, and the connection window cannot shrink.
 */
export function checkWindowSize(value: number, what: string): number {
  if (!Number.isInteger(value) || value < MIN_HTTP2_WINDOW || value > MAX_HTTP2_WINDOW) {
    throw ServerError.invalidArg(
      `invalid argument for ${what}, got: ${value} (an HTTP/2 window size in bytes, ${MIN_HTTP2_WINDOW} to ${MAX_HTTP2_WINDOW})`,
    );
  }
  return value;
}

/** The private shape of grpc-js's Server this module relies on. */
interface ServerInternals {
  commonServerOptions?: { settings?: Settings };
  createHttp2Server?: (this: unknown, credentials: unknown) => unknown;
}

interface SessionEmitter {
  on(event: 'session', listener: (session: Http2Session) => void): unknown;
}

function isSessionEmitter(value: unknown): value is SessionEmitter {
  return typeof value === 'object' && value !== null && typeof (value as { on?: unknown }).on === 'function';
}

/**
 * Gives `server` (constructed, not yet bound) the windows for every connection it will accept. Returns
 * which parts were installed: `settings` (the stream window in the first SETTINGS frame) and `sessions`
 * (the per-session hook); both, with the grpc-js this package pins (a test checks that).
 */
export function installHttp2Windows(server: Server, windows: Http2Windows): { settings: boolean; sessions: boolean } {
  const internals = server as unknown as ServerInternals;
  const common = internals.commonServerOptions;
  const settings = typeof common === 'object' && common !== null;
  if (settings) common.settings = { ...common.settings, initialWindowSize: windows.stream };
  const create = internals.createHttp2Server;
  const sessions = typeof create === 'function';
  if (sessions) {
    internals.createHttp2Server = function createWithWindows(this: unknown, credentials: unknown): unknown {
      const http2Server = create.call(this, credentials);
      if (isSessionEmitter(http2Server)) {
        http2Server.on('session', (session) => {
          try {
            if (!settings) session.settings({ initialWindowSize: windows.stream });
            session.setLocalWindowSize(windows.connection);
          } catch {
            // A session destroyed as it was created (its socket already gone) needs no window.
          }
        });
      }
      return http2Server;
    };
  }
  return { settings, sessions };
}
