/**
 * `model_warmup` (spec §6.2): before a version is READY, every sample runs `count` times (0 = once)
 * through the version's scheduler. As in Triton, a sample is `batch_size` requests (at least one) whose
 * inputs have a batch dim of 1 when the model batches; input data is zeros, random bytes (zeros for
 * TYPE_STRING) or the raw bytes of `<model>/warmup/<input_data_file>`. A sample that fails fails the load.
 */
import { randomFillSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataTypeFromConfig, elementByteSize, elementCount } from '@inferd/protocol';
import {
  InferenceRequest, REQUEST_FLAG_SEQUENCE_END, REQUEST_FLAG_SEQUENCE_START, ServerError, nowNs, type ModelSpec, type Scheduler,
  type Tensor,
} from '../core/index.js';
import type { ModelConfig, ModelWarmup } from '../config/index.js';

export interface WarmupTarget {
  readonly name: string;
  readonly modelDir: string;
  readonly config: ModelConfig;
  readonly spec: ModelSpec;
  readonly scheduler: Scheduler;
  /** Verbose log (level 1), as Triton logs each warmup iteration. */
  readonly verbose?: (message: string) => void;
}

function sampleTensors(sample: ModelWarmup, t: WarmupTarget): Tensor[] {
  const tensors: Tensor[] = [];
  for (const [name, input] of Object.entries(sample.inputs ?? {})) {
    const datatype = dataTypeFromConfig(input.data_type ?? 'TYPE_INVALID');
    if (datatype === undefined) {
      throw ServerError.invalidArg(`warmup setting '${sample.name ?? ''}' has an invalid data type for input '${name}'`);
    }
    const dims = input.dims ?? [];
    const count = elementCount(dims);
    // BYTES elements are read as 4-byte length prefixes: zero data = empty strings.
    const byteSize = count * (datatype === 'BYTES' ? 4 : elementByteSize(datatype));
    let data: Uint8Array;
    if (input.input_data_file !== undefined && input.input_data_file !== '') {
      const path = join(t.modelDir, 'warmup', input.input_data_file);
      let file: Buffer;
      try {
        file = readFileSync(path);
      } catch (err) {
        throw ServerError.invalidArg(`failed to read warmup data file '${path}': ${(err as Error).message}`);
      }
      if (datatype !== 'BYTES' && file.byteLength < byteSize) {
        throw ServerError.invalidArg(
          `warmup setting expects ${byteSize} bytes, but the data provided from ${input.input_data_file} only has ${file.byteLength} bytes`,
        );
      }
      data = new Uint8Array(datatype === 'BYTES' ? file : file.subarray(0, byteSize));
    } else {
      data = new Uint8Array(byteSize);
      if (input.random_data === true && datatype !== 'BYTES') randomFillSync(data);
    }
    const shape = t.spec.maxBatchSize > 0 ? [1, ...dims] : [...dims];
    tensors.push({ name, datatype, shape, data });
  }
  return tensors;
}

/**
 * Sequence-batched models take each warmup request as a one-request sequence (START and END) under an
 * id of its own, of the CORRID control's kind (a string for TYPE_STRING, else a number): Triton feeds
 * warmup to the instances directly, we go through the scheduler, which refuses id-less requests.
 */
let warmupSequence = 0;

function sequenceFields(config: ModelConfig): { correlationId: bigint | string; flags: number } | undefined {
  const seq = config.sequence_batching;
  if (seq === undefined) return undefined;
  const corrid = (seq.control_input ?? []).flatMap((c) => c.control ?? []).find((c) => c.kind === 'CONTROL_SEQUENCE_CORRID');
  warmupSequence += 1;
  const correlationId = corrid?.data_type === 'TYPE_STRING' ? `inferd-warmup-${warmupSequence}` : 0x7fff_0000_0000_0000n + BigInt(warmupSequence);
  return { correlationId, flags: REQUEST_FLAG_SEQUENCE_START | REQUEST_FLAG_SEQUENCE_END };
}

/** One request through the scheduler; resolves at its final response, rejects on an error response. */
function runOne(t: WarmupTarget, inputs: Tensor[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const request: InferenceRequest = new InferenceRequest({
      init: { modelName: t.name, inputs, ...sequenceFields(t.config) },
      modelVersion: t.spec.version,
      requestedOutputs: t.spec.outputs.map((o) => ({ name: o.name })),
      batchSize: 1,
      received: nowNs(),
      sink: (r) => {
        if (r.error !== undefined) reject(r.error);
        else if (r.final) resolve();
      },
    });
    request.stamp('queueStart');
    t.scheduler.enqueue(request);
  });
}

/** Runs every warmup sample; throws Triton's `failed to run warmup sample` error on the first failure. */
export async function runWarmup(t: WarmupTarget): Promise<void> {
  for (const sample of t.config.model_warmup ?? []) {
    const sampleName = sample.name ?? '';
    try {
      const inputs = sampleTensors(sample, t);
      const requests = Math.max(1, sample.batch_size ?? 1);
      const iterations = Math.max(1, sample.count ?? 0);
      for (let i = 0; i < iterations; i++) {
        t.verbose?.(`model '${t.name}' is running warmup sample '${sampleName}' for iteration ${i + 1}`);
        await Promise.all(Array.from({ length: requests }, () => runOne(t, inputs)));
      }
    } catch (err) {
      const e = ServerError.from(err);
      throw new ServerError(e.code, `failed to run warmup sample '${sampleName}': ${e.message}`);
    }
  }
}
