/**
 * Trace mode `opentelemetry`: each finished trace becomes Triton's three spans (its trace doc) exported
 * over OTLP/HTTP through a batch span processor:
 * - `InferRequest` (the top-level span, from receive to send), a child of the caller's span when the
 *   request carried a W3C `traceparent` (HTTP header or gRPC metadata);
 * - `<model name>` (REQUEST_START..REQUEST_END, with QUEUE_START as an event);
 * - `compute` (COMPUTE_START..COMPUTE_END, with the compute points as events).
 * Spans are built after the fact with explicit times: nothing is held open on the request path.
 */
import { performance } from 'node:perf_hooks';
import { ROOT_CONTEXT, SpanKind, defaultTextMapGetter, trace as traceApi, type Context, type HrTime, type Span } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { OtelConfig } from './trace-config.js';
import type { CompletedTrace } from './trace-record.js';

/** Monotonic ns (core/clock.ts: performance.now() based) -> wall-clock HrTime. */
function hrTime(ns: number): HrTime {
  const ms = performance.timeOrigin + ns / 1e6;
  const sec = Math.floor(ms / 1000);
  return [sec, Math.round((ms - sec * 1000) * 1e6)];
}

const MODEL_EVENTS = new Set(['REQUEST_START', 'QUEUE_START', 'REQUEST_END']);
const COMPUTE_EVENTS = new Set(['COMPUTE_START', 'COMPUTE_INPUT_END', 'COMPUTE_OUTPUT_START', 'COMPUTE_END']);

export class OtelTraceExporter {
  readonly #provider: BasicTracerProvider;
  readonly #propagator = new W3CTraceContextPropagator();

  constructor(config: OtelConfig) {
    this.#provider = new BasicTracerProvider({
      resource: resourceFromAttributes(config.resource),
      spanProcessors: [
        new BatchSpanProcessor(new OTLPTraceExporter({ url: config.url }), {
          maxQueueSize: config.bspMaxQueueSize,
          scheduledDelayMillis: config.bspScheduleDelay,
          maxExportBatchSize: config.bspMaxExportBatchSize,
        }),
      ],
    });
  }

  export(t: CompletedTrace): void {
    const tracer = this.#provider.getTracer('triton-server');
    const at = new Map(t.timestamps);
    const first = t.timestamps[0]?.[1];
    const last = t.timestamps[t.timestamps.length - 1]?.[1];
    if (first === undefined || last === undefined) return;
    const parent: Context = t.traceparent === undefined
      ? ROOT_CONTEXT
      : this.#propagator.extract(ROOT_CONTEXT, { traceparent: t.traceparent }, defaultTextMapGetter);
    const root = tracer.startSpan('InferRequest', { kind: SpanKind.SERVER, startTime: hrTime(first) }, parent);
    const attributes = {
      'triton.model_name': t.modelName,
      'triton.model_version': t.modelVersion,
      'triton.trace_id': t.id,
      'triton.trace_parent_id': t.parentId,
      ...(t.requestId === '' ? {} : { 'triton.request_id': t.requestId }),
    };
    root.setAttributes(attributes);
    for (const [name, ns] of t.timestamps) if (!MODEL_EVENTS.has(name) && !COMPUTE_EVENTS.has(name)) root.addEvent(name, hrTime(ns));
    const modelStart = at.get('REQUEST_START') ?? first;
    const model = tracer.startSpan(t.modelName, { startTime: hrTime(modelStart), attributes }, traceApi.setSpan(parent, root));
    for (const [name, ns] of t.timestamps) if (MODEL_EVENTS.has(name)) model.addEvent(name, hrTime(ns));
    const computeStart = at.get('COMPUTE_START');
    if (computeStart !== undefined) {
      const compute = tracer.startSpan('compute', { startTime: hrTime(computeStart) }, traceApi.setSpan(parent, model));
      for (const [name, ns] of t.timestamps) if (COMPUTE_EVENTS.has(name)) compute.addEvent(name, hrTime(ns));
      end(compute, at.get('COMPUTE_END') ?? computeStart);
    }
    end(model, at.get('REQUEST_END') ?? last);
    end(root, last);
  }

  /** Sends what is batched (tests, shutdown). */
  async flush(): Promise<void> {
    await this.#provider.forceFlush();
  }

  async shutdown(): Promise<void> {
    await this.#provider.shutdown();
  }
}

function end(span: Span, ns: number): void {
  span.end(hrTime(ns));
}
