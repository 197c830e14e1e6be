// Starts inferd's gRPC frontend in this process on the bench identity models and prints the port.
// Run by bench/grpc-overhead/run.mjs through tsx (sources, no build needed).
import { createInferenceServer, GrpcFrontend } from 'inferd';
import { identityBenchRepo } from '../lib/identity-repo.js';

const { server } = await createInferenceServer({ modelRepository: identityBenchRepo() });
const grpc = new GrpcFrontend(server, { port: 0, address: '127.0.0.1' });
const { port } = await grpc.listen();
process.stdout.write(`${port}\n`);
process.on('SIGINT', () => process.exit(0));
