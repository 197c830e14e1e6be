/**
 * `-i inprocess`: a model repository loaded in this process with `createInferenceServer`, requests
 * straight into `InferenceServer` (perf_analyzer's C API mode). Measures the server with no network.
 */
import { createInferenceServer, ServerError, type InferenceServer, type Tensor } from 'inferd';
import type { InputSet } from './input-data.js';
import type { ModelMetadataLike } from './model-info.js';
import type { PreparedRequest, Transport } from './transport.js';

interface InProcessRequest extends PreparedRequest {
  readonly modelName: string;
  readonly modelVersion: string;
  readonly tensors: readonly Tensor[];
}

export class InProcessTransport implements Transport {
  readonly kind = 'inprocess';
  readonly server: InferenceServer;
  readonly #owned: boolean;

  /** `owned`: shut the server down on close (true when this transport created it). */
  constructor(server: InferenceServer, owned: boolean) {
    this.server = server;
    this.#owned = owned;
  }

  static async open(modelRepository: readonly string[]): Promise<InProcessTransport> {
    if (modelRepository.length === 0) throw ServerError.invalidArg('-i inprocess needs --model-repository');
    const { server } = await createInferenceServer({ modelRepository, exitOnError: false });
    return new InProcessTransport(server, true);
  }

  async modelMetadata(model: string, version: string): Promise<ModelMetadataLike> {
    return this.server.modelMetadata(model, version === '' ? undefined : version);
  }

  async modelConfig(model: string, version: string): Promise<Readonly<Record<string, unknown>>> {
    return this.server.modelConfig(model, version === '' ? undefined : version);
  }

  async modelStatistics(model: string, version: string): Promise<unknown> {
    return this.server.modelStatistics(model, version === '' ? undefined : version);
  }

  async prepare(model: string, version: string, inputs: InputSet): Promise<PreparedRequest> {
    const request: InProcessRequest = {
      inputs,
      modelName: model,
      modelVersion: version,
      tensors: inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, data: t.data })),
    };
    return request;
  }

  infer(request: PreparedRequest): Promise<void> {
    const r = request as InProcessRequest;
    return new Promise((resolve, reject) => {
      try {
        // inferStream covers decoupled models too: done at the final response.
        this.server.inferStream(
          { modelName: r.modelName, ...(r.modelVersion === '' ? {} : { modelVersion: r.modelVersion }), inputs: r.tensors },
          (response) => {
            if (response.error !== undefined) reject(response.error);
            else if (response.final) resolve();
          },
        );
      } catch (err) {
        reject(err);
      }
    });
  }

  async close(): Promise<void> {
    if (this.#owned) await this.server.shutdown();
  }
}
