/**
 * Health, metadata, model config and statistics RPCs (spec §5.1), plus grpc.health.v1 Check, and
 * the trace/log settings RPCs (spec §1.7, §5.1).
 */
import type { pb } from '@inferd/protocol';
import type { InferenceServer } from '../../core/index.js';
import { unary } from './unary.js';
import { logSettingsMessage, logUpdateFromMessage, traceSettingsMessage, traceUpdateFromMessage } from './settings-messages.js';

export function serverHandlers(server: InferenceServer) {
  return {
    ServerLive: unary<pb.ServerLiveRequest, pb.ServerLiveResponseInit>(() => ({ live: server.live() })),
    ServerReady: unary<pb.ServerReadyRequest, pb.ServerReadyResponseInit>(() => ({ ready: server.ready() })),
    ModelReady: unary<pb.ModelReadyRequest, pb.ModelReadyResponseInit>(async (req) => ({
      ready: await server.modelReady(req.name, req.version),
    })),
    ServerMetadata: unary<pb.ServerMetadataRequest, pb.ServerMetadataResponseInit>(() => {
      const { name, version, extensions } = server.metadata();
      return { name, version, extensions };
    }),
    ModelMetadata: unary<pb.ModelMetadataRequest, pb.ModelMetadataResponseInit>((req) => server.modelMetadata(req.name, req.version)),
    // The /config JSON tree has the proto's field names; protobufjs takes its int64 numbers or
    // strings, enum names, maps and oneof members as they are.
    ModelConfig: unary<pb.ModelConfigRequest, pb.ModelConfigResponseInit>((req) => ({
      config: server.modelConfig(req.name, req.version) as pb.ModelConfigInit,
    })),
    ModelStatistics: unary<pb.ModelStatisticsRequest, pb.ModelStatisticsResponseInit>(
      (req) => server.modelStatistics(req.name, req.version) as pb.ModelStatisticsResponseInit,
    ),
    TraceSetting: unary<pb.TraceSettingRequest, pb.TraceSettingResponseInit>(async (req) => {
      // The model check comes first, as in Triton: an unknown model wins over bad settings.
      if (req.model_name !== '') await server.traceSettings(req.model_name);
      const update = traceUpdateFromMessage(req);
      return traceSettingsMessage(await server.traceSettings(req.model_name, update));
    }),
    LogSettings: unary<pb.LogSettingsRequest, pb.LogSettingsResponseInit>((req) =>
      logSettingsMessage(server.logSettings(logUpdateFromMessage(req)))),
  };
}

/** grpc.health.v1.Health: SERVING iff the server is ready (spec §5). */
export function healthHandlers(server: InferenceServer) {
  return {
    Check: unary<pb.HealthCheckRequest, pb.HealthCheckResponseInit>(() => ({
      status: server.ready() ? 'SERVING' : 'NOT_SERVING',
    })),
  };
}
