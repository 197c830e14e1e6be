// Starts inferd's HTTP frontend in this process on the bench identity models and prints the port.
// Run by bench/http-overhead/run.mjs through tsx (sources, no build needed).
import { createInferenceServer, HttpFrontend } from 'inferd';
import { identityBenchRepo } from '../lib/identity-repo.js';

const { server } = await createInferenceServer({ modelRepository: identityBenchRepo() });
const http = new HttpFrontend(server, { port: 0, address: '127.0.0.1', maxInputSize: 64 << 20 });
const { port } = await http.listen();
process.stdout.write(`${port}\n`);
process.on('SIGINT', () => process.exit(0));
