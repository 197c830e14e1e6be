/** Model repository RPCs (spec §1.6, §4.5): index, load, unload. */
import type { pb } from '@inferd/protocol';
import { ServerError, type InferenceServer, type ModelIndexEntry } from '../../core/index.js';
import { unary } from './unary.js';

function indexEntry(e: ModelIndexEntry): pb.RepositoryIndexResponse_ModelIndexInit {
  return { name: e.name, version: e.version ?? '', state: e.state ?? '', reason: e.reason ?? '' };
}

function refuseRepositoryName(name: string): void {
  if (name !== '') throw ServerError.unsupported("'repository_name' specification is not supported");
}

/**
 * Load parameters as the repository sees them over HTTP: `config` a JSON string, `file:<path>`
 * contents base64 (HTTP's encoding of the same bytes), other values as plain JS values.
 */
function loadParameters(params: Readonly<Record<string, pb.ModelRepositoryParameter>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, p] of Object.entries(params)) {
    if (key === 'config' && p.parameter_choice !== 'string_param') {
      throw ServerError.invalidArg(`invalid value type for load parameter '${key}', expected string_param.`);
    }
    if (key.startsWith('file:') && p.parameter_choice !== 'bytes_param') {
      throw ServerError.invalidArg(`invalid value type for load parameter '${key}', expected bytes_param.`);
    }
    switch (p.parameter_choice) {
      case 'bool_param': out[key] = p.bool_param; break;
      case 'int64_param': out[key] = Number(p.int64_param); break;
      case 'string_param': out[key] = p.string_param; break;
      case 'bytes_param': out[key] = p.bytes_param!.toString('base64'); break;
      default: throw ServerError.invalidArg(`invalid value type for load parameter '${key}'`);
    }
  }
  return out;
}

function unloadParameters(params: Readonly<Record<string, pb.ModelRepositoryParameter>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const dependents = params.unload_dependents;
  if (dependents !== undefined) {
    if (dependents.parameter_choice !== 'bool_param') {
      throw ServerError.invalidArg("invalid value type for 'unload_dependents' parameter, expected bool_param.");
    }
    out.unload_dependents = dependents.bool_param;
  }
  return out;
}

export function repositoryHandlers(server: InferenceServer) {
  return {
    RepositoryIndex: unary<pb.RepositoryIndexRequest, pb.RepositoryIndexResponseInit>((req) => ({
      models: server.repositoryIndex(req.ready).map(indexEntry),
    })),
    RepositoryModelLoad: unary<pb.RepositoryModelLoadRequest, pb.RepositoryModelLoadResponseInit>(async (req) => {
      refuseRepositoryName(req.repository_name);
      await server.loadModel(req.model_name, loadParameters(req.parameters));
      return {};
    }),
    RepositoryModelUnload: unary<pb.RepositoryModelUnloadRequest, pb.RepositoryModelUnloadResponseInit>(async (req) => {
      refuseRepositoryName(req.repository_name);
      await server.unloadModel(req.model_name, unloadParameters(req.parameters));
      return {};
    }),
  };
}
