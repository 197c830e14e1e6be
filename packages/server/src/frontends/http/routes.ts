/**
 * The fixed route table of Triton's HTTP frontend: its path regexes, tried in its order (spec §1).
 * Captured segments are percent-decoded (tritonclient URL-quotes model names).
 */

export type ModelAction = '' | 'infer' | 'generate' | 'generate_stream' | 'ready' | 'config' | 'stats' | 'trace/setting';
export type ShmAction = 'status' | 'register' | 'unregister';

export type Route =
  | { readonly kind: 'all-stats' }
  | { readonly kind: 'logging' }
  | { readonly kind: 'model'; readonly model: string; readonly version: string; readonly action: ModelAction }
  | { readonly kind: 'server-metadata' }
  | { readonly kind: 'health'; readonly probe: 'live' | 'ready' }
  | { readonly kind: 'shm'; readonly memory: 'system' | 'cuda'; readonly region: string; readonly action: ShmAction }
  | { readonly kind: 'repository-index'; readonly repository: string }
  | {
    readonly kind: 'repository-control';
    readonly repository: string;
    readonly model: string;
    readonly action: 'load' | 'unload';
  }
  | { readonly kind: 'trace' };

const MODEL = /^\/v2\/models\/([^/]+)(?:\/versions\/([0-9]+))?(?:\/(infer|generate|generate_stream|ready|config|stats|trace\/setting))?$/;
const SERVER = /^\/v2(?:\/health\/(live|ready))?$/;
const SYSTEM_SHM = /^\/v2\/systemsharedmemory(?:\/region\/([^/]+))?\/(status|register|unregister)$/;
const CUDA_SHM = /^\/v2\/cudasharedmemory(?:\/region\/([^/]+))?\/(status|register|unregister)$/;
const REPOSITORY = /^\/v2\/repository(?:\/([^/]+))?\/(index|models\/([^/]+)\/(load|unload))$/;

function decode(segment: string | undefined): string {
  if (segment === undefined) return '';
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The route for a request path (query already removed), or undefined (404). */
export function matchRoute(path: string): Route | undefined {
  if (path === '/v2/models/stats') return { kind: 'all-stats' };
  if (path === '/v2/logging') return { kind: 'logging' };
  let m = MODEL.exec(path);
  if (m !== null) {
    const action = (m[3] ?? '') as ModelAction;
    // A versioned trace/setting has no handler in Triton: it falls through to 404.
    if (action === 'trace/setting' && m[2] !== undefined) return undefined;
    return { kind: 'model', model: decode(m[1]), version: m[2] ?? '', action };
  }
  if (path === '/v2') return { kind: 'server-metadata' };
  m = SERVER.exec(path);
  if (m !== null && m[1] !== undefined) return { kind: 'health', probe: m[1] as 'live' | 'ready' };
  m = SYSTEM_SHM.exec(path) ?? CUDA_SHM.exec(path);
  if (m !== null) {
    const memory = path.startsWith('/v2/system') ? 'system' : 'cuda';
    return { kind: 'shm', memory, region: decode(m[1]), action: m[2] as ShmAction };
  }
  m = REPOSITORY.exec(path);
  if (m !== null) {
    const repository = decode(m[1]);
    if (m[2] === 'index') return { kind: 'repository-index', repository };
    return { kind: 'repository-control', repository, model: decode(m[3]), action: m[4] as 'load' | 'unload' };
  }
  if (path === '/v2/trace/setting') return { kind: 'trace' };
  return undefined;
}
