/**
 * `node:diagnostics_channel` events for tools that watch a server from inside its process (APMs,
 * tests, the console): request start and finish, each execution a scheduler forms, model version load
 * and unload. Publishing costs one `hasSubscribers` check when nobody listens: messages are built only
 * for a subscriber. Subscribe with `diagnostics_channel.subscribe(INFERD_CHANNELS.requestFinish, fn)`.
 */
import diagnostics from 'node:diagnostics_channel';
import type { ServerError } from './errors.js';

export const INFERD_CHANNELS = {
  requestStart: 'inferd:request:start',
  requestFinish: 'inferd:request:finish',
  execution: 'inferd:execution',
  modelLoad: 'inferd:model:load',
  modelUnload: 'inferd:model:unload',
} as const;

export interface RequestStartMessage {
  readonly modelName: string;
  readonly modelVersion: string;
  readonly id: string;
  readonly batchSize: number;
}

export interface RequestFinishMessage extends RequestStartMessage {
  /** Absent for a success. */
  readonly error?: ServerError;
  /** From receipt to the final response, ns. */
  readonly durationNs: number;
  readonly cacheHit: boolean;
}

/** One execution on a model instance: the requests a scheduler put together (one, or a dynamic batch). */
export interface ExecutionMessage {
  readonly modelName: string;
  readonly instance: string;
  readonly requestCount: number;
  /** The requests' ids, in execution order ('' for a request without one). */
  readonly requestIds: readonly string[];
  /** Sum of the requests' batch sizes. */
  readonly batchSize: number;
}

export interface ModelLoadMessage {
  readonly modelName: string;
  readonly version: number;
  /** Absent when the version is READY. */
  readonly error?: string;
  readonly durationSecs: number;
}

export interface ModelUnloadMessage {
  readonly modelName: string;
  readonly version: number;
}

export const requestStartChannel = diagnostics.channel(INFERD_CHANNELS.requestStart);
export const requestFinishChannel = diagnostics.channel(INFERD_CHANNELS.requestFinish);
export const executionChannel = diagnostics.channel(INFERD_CHANNELS.execution);
export const modelLoadChannel = diagnostics.channel(INFERD_CHANNELS.modelLoad);
export const modelUnloadChannel = diagnostics.channel(INFERD_CHANNELS.modelUnload);
