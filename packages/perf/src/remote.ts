/**
 * `-i http` / `-i grpc`: requests through @inferd/client. Inputs are encoded once (`setRawData`, sent
 * binary); with `--shared-memory system` each input set lives in its own registered region and outputs
 * go to one output region (shared by in-flight requests: perf_analyzer does not read them either);
 * with `--streaming` (gRPC) every request goes over one ModelStreamInfer stream, matched by request id.
 */
import { GrpcClient, HttpClient, InferInput, InferRequestedOutput, type InferStream, type InferenceClient } from '@inferd/client';
import { threadId } from 'node:worker_threads';
import { SystemSharedMemoryRegion } from '@inferd/client/shm';
import { ServerError } from 'inferd';
import type { InputSet } from './input-data.js';
import type { ModelMetadataLike } from './model-info.js';
import type { PerfOptions } from './options.js';
import type { PreparedRequest, Transport } from './transport.js';

interface RemoteRequest extends PreparedRequest {
  readonly model: string;
  readonly version: string;
  readonly tensors: readonly InferInput[];
  readonly outputs: readonly InferRequestedOutput[] | undefined;
}

interface Pending {
  resolve(): void;
  reject(err: unknown): void;
}

export class RemoteTransport implements Transport {
  readonly kind: 'http' | 'grpc';
  readonly #client: InferenceClient;
  readonly #shm: { readonly outputSize: number; readonly prefix: string } | undefined;
  readonly #regions: { name: string; region: SystemSharedMemoryRegion }[] = [];
  #outputs: InferRequestedOutput[] | undefined;
  #stream: InferStream | undefined;
  readonly #pending = new Map<string, Pending>();
  #nextId = 0;

  constructor(o: Pick<PerfOptions, 'transport' | 'url' | 'sharedMemory' | 'outputSharedMemorySize' | 'streaming'>) {
    if (o.transport === 'inprocess') throw ServerError.invalidArg('RemoteTransport is for -i http or -i grpc');
    this.kind = o.transport;
    this.#client = o.transport === 'http' ? new HttpClient(o.url) : new GrpcClient(o.url);
    if (o.streaming) {
      if (o.transport !== 'grpc') throw ServerError.invalidArg('--streaming needs -i grpc');
      this.#stream = (this.#client as GrpcClient).stream();
      void this.#readStream(this.#stream);
    }
    if (o.sharedMemory === 'system') {
      this.#shm = { outputSize: o.outputSharedMemorySize, prefix: `inferd_perf_${process.pid}_${threadId}_${Date.now().toString(36)}` };
    }
  }

  async modelMetadata(model: string, version: string): Promise<ModelMetadataLike> {
    return this.#client.getModelMetadata(model, version === '' ? undefined : version);
  }

  async modelConfig(model: string, version: string): Promise<Readonly<Record<string, unknown>>> {
    return this.#client.getModelConfig(model, version === '' ? undefined : version);
  }

  async modelStatistics(model: string, version: string): Promise<unknown> {
    return this.#client.getInferenceStatistics(model, version === '' ? undefined : version);
  }

  async #register(bytes: number): Promise<{ name: string; region: SystemSharedMemoryRegion }> {
    const name = `${this.#shm!.prefix}_${this.#regions.length}`;
    // A zero-byte object cannot be mapped; an input set of empty tensors still gets one byte.
    const region = SystemSharedMemoryRegion.create(name, Math.max(1, bytes));
    this.#regions.push({ name, region });
    await this.#client.registerSystemSharedMemory(name, region.key, region.byteSize);
    return { name, region };
  }

  /** One output region, `--output-shared-memory-size` bytes per output, made on the first prepare. */
  async #shmOutputs(model: string, version: string): Promise<InferRequestedOutput[]> {
    if (this.#outputs !== undefined) return this.#outputs;
    const meta = await this.modelMetadata(model, version);
    const size = this.#shm!.outputSize;
    const { name } = await this.#register(size * meta.outputs.length);
    this.#outputs = meta.outputs.map((out, i) => new InferRequestedOutput(out.name).setSharedMemory(name, size, i * size));
    return this.#outputs;
  }

  async prepare(model: string, version: string, inputs: InputSet): Promise<PreparedRequest> {
    const tensors = inputs.map((t) => new InferInput(t.name, t.shape, t.datatype));
    let outputs: InferRequestedOutput[] | undefined;
    if (this.#shm === undefined) {
      inputs.forEach((t, i) => tensors[i]!.setRawData(t.data));
    } else {
      const total = inputs.reduce((a, t) => a + t.data.byteLength, 0);
      const { name, region } = await this.#register(total);
      let offset = 0;
      inputs.forEach((t, i) => {
        region.write(t.data, offset);
        tensors[i]!.setSharedMemory(name, t.data.byteLength, offset);
        offset += t.data.byteLength;
      });
      outputs = await this.#shmOutputs(model, version);
    }
    const request: RemoteRequest = { inputs, model, version, tensors, outputs };
    return request;
  }

  async infer(request: PreparedRequest): Promise<void> {
    const r = request as RemoteRequest;
    const options = {
      ...(r.version === '' ? {} : { version: r.version }),
      ...(r.outputs === undefined ? {} : { outputs: r.outputs }),
    };
    if (this.#stream === undefined) {
      await this.#client.infer(r.model, r.tensors, options);
      return;
    }
    const requestId = String(this.#nextId++);
    const done = new Promise<void>((resolve, reject) => this.#pending.set(requestId, { resolve, reject }));
    // Decoupled models end a request with a flag-only final response only when asked for one.
    this.#stream.send(r.model, r.tensors, { ...options, requestId, enableEmptyFinalResponse: true });
    await done;
  }

  async #readStream(stream: InferStream): Promise<void> {
    try {
      for await (const response of stream) {
        if (!response.final) continue;
        const pending = this.#pending.get(response.requestId);
        this.#pending.delete(response.requestId);
        if (response.error !== undefined) pending?.reject(response.error);
        else pending?.resolve();
      }
    } catch (err) {
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
    }
  }

  async close(): Promise<void> {
    this.#stream?.end();
    for (const { name, region } of this.#regions) {
      await this.#client.unregisterSystemSharedMemory(name).catch(() => undefined);
      region.destroy();
    }
    this.#client.close();
  }
}
