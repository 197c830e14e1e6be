// The image's init-container step for an emptyDir model volume: download MODEL_REPOSITORY_URL (a .tar.gz
// of a Triton model repository) and unpack it into the folder given as the argument. Node's fetch and
// Debian's tar: nothing else in the image is needed.
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';

const [dest] = process.argv.slice(2);
const url = process.env.MODEL_REPOSITORY_URL;
if (dest === undefined || url === undefined || url === '') {
  process.stderr.write('usage: MODEL_REPOSITORY_URL=<url of a .tar.gz> node fetch-model-repository.mjs <dir>\n');
  process.exit(2);
}
const res = await fetch(url);
if (!res.ok || res.body === null) {
  process.stderr.write(`fetch-model-repository: ${url}: HTTP ${res.status}\n`);
  process.exit(1);
}
const tar = spawn('tar', ['-xz', '-C', dest, '--no-same-owner'], { stdio: ['pipe', 'inherit', 'inherit'] });
Readable.fromWeb(res.body).pipe(tar.stdin);
const code = await new Promise((resolve) => tar.on('exit', resolve));
if (code === 0) process.stderr.write(`fetch-model-repository: unpacked ${url} into ${dest}\n`);
process.exit(code ?? 1);
