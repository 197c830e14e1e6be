// Starts inferd's gRPC frontend in this process on the example repository's identity models and prints
// the port. Run by bench/grpc-overhead/run.mjs through tsx (sources, no build needed).
import { mkdtempSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInferenceServer } from 'inferd';
// The package entry does not export the gRPC frontend; the bench uses it from source like the CLI does.
import { GrpcFrontend } from '../../packages/server/src/frontends/grpc/index.js';

const examples = fileURLToPath(new URL('../../examples/models', import.meta.url));
const repo = mkdtempSync(join(tmpdir(), 'inferd-bench-'));
symlinkSync(join(examples, 'identity_fp32'), join(repo, 'identity_fp32'));
// The same I/O served by the built-in JS identity backend: gRPC + core cost without the worker hop.
mkdirSync(join(repo, 'identity_js', '1'), { recursive: true });
writeFileSync(
  join(repo, 'identity_js', 'config.pbtxt'),
  `backend: "identity"\nmax_batch_size: 8\ninput [{ name: "INPUT0" data_type: TYPE_FP32 dims: [-1] }]\n` +
    `output [{ name: "OUTPUT0" data_type: TYPE_FP32 dims: [-1] }]\ninstance_group [{ count: 1 kind: KIND_CPU }]\n`,
);
const { server } = await createInferenceServer({ modelRepository: repo });
const grpc = new GrpcFrontend(server, { port: 0, address: '127.0.0.1' });
const { port } = await grpc.listen();
process.stdout.write(`${port}\n`);
process.on('SIGINT', () => process.exit(0));
