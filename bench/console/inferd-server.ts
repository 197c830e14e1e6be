// inferd's HTTP frontend on the bench identity models, with the web console on (`on`, as `inferd serve`
// wires it: metrics text feed included) or off (`off`, --allow-console=false); prints the port.
import { createInferenceServer, HttpFrontend } from 'inferd';
import { identityBenchRepo } from '../lib/identity-repo.js';

const on = process.argv[2] === 'on';
const { server, metrics } = await createInferenceServer({ modelRepository: identityBenchRepo() });
const http = new HttpFrontend(server, {
  port: 0, address: '127.0.0.1', maxInputSize: 64 << 20,
  ...(on ? { console: metrics === undefined ? {} : { metricsText: () => metrics.text() } } : {}),
});
const { port } = await http.listen();
process.stdout.write(`${port}\n`);
process.on('SIGINT', () => process.exit(0));
