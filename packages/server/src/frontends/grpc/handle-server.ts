/**
 * Health, metadata, model config and statistics RPCs (spec §5.1), plus grpc.health.v1 Check, and
 * the trace/log settings RPCs answering with the server defaults (spec §1.7; updates unsupported).
 */
import type { pb } from '@inferd/protocol';
import { ServerError, type InferenceServer } from '../../core/index.js';
import { unary } from './unary.js';

/** `--trace-config` defaults; tracing is not implemented, so it is always OFF. */
const TRACE_SETTINGS: Record<string, pb.TraceSettingResponse_SettingValueInit> = {
  trace_level: { value: ['OFF'] },
  trace_rate: { value: ['1000'] },
  trace_count: { value: ['-1'] },
  log_frequency: { value: ['0'] },
  trace_file: { value: [''] },
  trace_mode: { value: ['triton'] },
};

/** Logging settings at the server defaults. */
const LOG_SETTINGS: Record<string, pb.LogSettingsResponse_SettingValueInit> = {
  log_file: { string_param: '' },
  log_info: { bool_param: true },
  log_warning: { bool_param: true },
  log_error: { bool_param: true },
  log_verbose_level: { uint32_param: 0 },
  log_format: { string_param: 'default' },
};

export function serverHandlers(server: InferenceServer) {
  return {
    ServerLive: unary<pb.ServerLiveRequest, pb.ServerLiveResponseInit>(() => ({ live: server.live() })),
    ServerReady: unary<pb.ServerReadyRequest, pb.ServerReadyResponseInit>(() => ({ ready: server.ready() })),
    ModelReady: unary<pb.ModelReadyRequest, pb.ModelReadyResponseInit>(async (req) => ({
      ready: await server.modelReady(req.name, req.version),
    })),
    ServerMetadata: unary<pb.ServerMetadataRequest, pb.ServerMetadataResponseInit>(() => server.metadata()),
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
      if (req.model_name !== '') {
        let ready = false;
        try {
          ready = await server.modelReady(req.model_name);
        } catch {
          ready = false;
        }
        if (!ready) throw ServerError.invalidArg(`Request for unknown model : ${req.model_name}`);
      }
      if (Object.keys(req.settings).length > 0) throw ServerError.unsupported('trace settings are not supported yet');
      return { settings: TRACE_SETTINGS };
    }),
    LogSettings: unary<pb.LogSettingsRequest, pb.LogSettingsResponseInit>((req) => {
      if (Object.keys(req.settings).length > 0) throw ServerError.unsupported('logging settings are not supported yet');
      return { settings: LOG_SETTINGS };
    }),
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
