/**
 * `--http-restricted-api` at dispatch (spec §4.6): which API group a route belongs to (as Triton's
 * HTTP server sorts its endpoints), and the 403 for a caller without the group's header.
 */
import type { IncomingMessage } from 'node:http';
import type { RestrictedApis, RestrictedGroup } from '../common/restricted-apis.js';
import { errorMessageReply, type Reply } from './reply.js';
import type { Route } from './routes.js';

export function routeGroup(route: Route): RestrictedGroup {
  switch (route.kind) {
    case 'all-stats': return 'statistics';
    case 'logging': return 'logging';
    case 'server-metadata': return 'metadata';
    case 'health': return 'health';
    case 'shm': return 'shared-memory';
    case 'repository-index':
    case 'repository-control': return 'model-repository';
    case 'trace': return 'trace';
    case 'model':
      switch (route.action) {
        case '': return 'metadata';
        case 'ready': return 'health';
        case 'config': return 'model-config';
        case 'stats': return 'statistics';
        case 'trace/setting': return 'trace';
        default: return 'inference';
      }
  }
}

/** The 403 reply when the route's group is restricted and the request lacks `<key>: <value>`; else undefined. */
export function restrictionFailure(apis: RestrictedApis, route: Route, req: IncomingMessage): Reply | undefined {
  return refusal(apis, routeGroup(route), req);
}

/** The same check for the web console's paths (group `console`, inferd's own). */
export function consoleRestriction(apis: RestrictedApis, req: IncomingMessage): Reply | undefined {
  return refusal(apis, 'console', req);
}

function refusal(apis: RestrictedApis, group: RestrictedGroup, req: IncomingMessage): Reply | undefined {
  const restriction = apis.get(group);
  if (restriction === undefined) return undefined;
  // node lower-cases incoming header names; the configured key may have any case.
  if (req.headers[restriction.key.toLowerCase()] === restriction.value) return undefined;
  return errorMessageReply(403, `This API is restricted, expecting header '${restriction.key}'`);
}
