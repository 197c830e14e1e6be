/**
 * `--http-restricted-api` / `--grpc-restricted-protocol` (`<group>[,<group>...]:<key>=<value>`,
 * repeatable) and `--http-header-forward-pattern` / `--grpc-header-forward-pattern`, parsed with
 * tritonserver's rules and messages: unknown groups and a group in two flags are rejected, gRPC
 * keys get the `triton-grpc-protocol-` prefix, forward patterns are case-insensitive unless they
 * start with `(?-i)`.
 */
import { GRPC_RESTRICTED_KEY_PREFIX } from '../frontends/grpc/restricted.js';
import { RESTRICTED_GROUPS, type RestrictedApis, type RestrictedGroup, type Restriction } from '../frontends/common/restricted-apis.js';

export type RestrictedFlag = 'http-restricted-api' | 'grpc-restricted-protocol';

/** Splits `<name>:<setting>=<value>` as Triton does: first ':', then the first '=' after it; no part empty. */
function splitOption(arg: string, flag: RestrictedFlag): [string, string, string] {
  const colon = arg.indexOf(':');
  const equals = colon < 0 ? -1 : arg.indexOf('=', colon + 1);
  const parts: [string, string, string] = [arg.slice(0, colon), arg.slice(colon + 1, equals), arg.slice(equals + 1)];
  if (colon < 0 || equals < 0 || parts.some((p) => p === '')) {
    throw new Error(`--${flag} option format is '<config name>:<setting>=<value>'. Got ${arg}`);
  }
  return parts;
}

/** Every value of one restricted flag, in order, as the frontends' RestrictedApis. */
export function parseRestrictedApis(values: readonly string[], flag: RestrictedFlag): RestrictedApis {
  const http = flag === 'http-restricted-api';
  const kind = http ? 'api' : 'protocol';
  const out = new Map<RestrictedGroup, Restriction>();
  for (const arg of values) {
    const [groups, key, value] = splitOption(arg, flag);
    for (const group of groups.split(',')) {
      // `console` is a page of the HTTP port: gRPC has nothing of that name to guard.
      const known = (RESTRICTED_GROUPS as readonly string[]).includes(group) && (http || group !== 'console');
      if (!known) throw new Error(`unknown restricted ${kind} '${group}'`);
      if (out.has(group as RestrictedGroup)) {
        throw new Error(`restricted ${kind} '${group}' can not be specified in multiple config groups`);
      }
      out.set(group as RestrictedGroup, { key: http ? key : GRPC_RESTRICTED_KEY_PREFIX + key, value });
    }
  }
  return out;
}

/** A forward pattern as a JS RegExp: Triton prefixes `(?i)`, which a leading `(?-i)` turns off again. */
export function parseForwardPattern(pattern: string, flag: 'http-header-forward-pattern' | 'grpc-header-forward-pattern'): RegExp {
  let source = pattern;
  let flags = 'i';
  if (source.startsWith('(?-i)')) {
    source = source.slice(5);
    flags = '';
  } else if (source.startsWith('(?i)')) {
    source = source.slice(4);
  }
  try {
    return new RegExp(source, flags);
  } catch (err) {
    throw new Error(`invalid --${flag} '${pattern}': ${(err as Error).message}`);
  }
}
