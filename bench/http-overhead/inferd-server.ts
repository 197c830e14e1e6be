// Starts inferd's HTTP frontend in this process on the example repository's identity models and
// prints the port. Run by bench/http-overhead/run.mjs through tsx (sources, no build needed).
import { mkdtempSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInferenceServer, HttpFrontend } from 'inferd';

const examples = fileURLToPath(new URL('../../examples/models', import.meta.url));
const repo = mkdtempSync(join(tmpdir(), 'inferd-bench-'));
symlinkSync(join(examples, 'identity_fp32'), join(repo, 'identity_fp32'));
// The same I/O served by the built-in JS identity backend: HTTP + core cost without the worker hop.
mkdirSync(join(repo, 'identity_js', '1'), { recursive: true });
writeFileSync(
  join(repo, 'identity_js', 'config.pbtxt'),
  `backend: "identity"\nmax_batch_size: 8\ninput [{ name: "INPUT0" data_type: TYPE_FP32 dims: [-1] }]\n` +
    `output [{ name: "OUTPUT0" data_type: TYPE_FP32 dims: [-1] }]\ninstance_group [{ count: 1 kind: KIND_CPU }]\n`,
);
const { server } = await createInferenceServer({ modelRepository: repo });
const http = new HttpFrontend(server, { port: 0, address: '127.0.0.1', maxInputSize: 64 << 20 });
const { port } = await http.listen();
process.stdout.write(`${port}\n`);
process.on('SIGINT', () => process.exit(0));
