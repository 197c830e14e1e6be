/**
 * What an npm user gets: `npm pack` of the four workspace packages (prepack builds them), the tarballs'
 * contents, then an install of those tarballs into an empty project without the network (with
 * ONNXRUNTIME_NODE_INSTALL=skip, as the READMEs say), whose `npx inferd serve` answers a real ONNX inference
 * over HTTP and whose package entry points import and embed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, startServe } from '../support/spawn-cli.js';
import { appLockfile, type PackedPackage, type WorkspaceLock } from './app-lockfile.js';

const run = promisify(execFile);

/** Package name -> its folder under packages/. */
const WORKSPACES: Record<string, string> = {
  '@inferd/protocol': 'protocol', '@inferd/client': 'client', inferd: 'server', '@inferd/perf': 'perf',
};

interface PackResult { name: string; filename: string; integrity: string; files: { path: string }[] }

let work: string;
let app: string;
let packs: PackResult[];

/** The environment for npm children: none of the `npm_*` settings of an `npm test` that runs this file. */
function npmEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
  return { ...env, ONNXRUNTIME_NODE_INSTALL: 'skip' };
}

async function npm(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('npm', args, { cwd, env: npmEnv(), timeout: 120_000, maxBuffer: 16 << 20 });
  return stdout;
}

function manifest(name: string): PackedPackage['manifest'] {
  return JSON.parse(readFileSync(join(repoRoot, 'packages', WORKSPACES[name]!, 'package.json'), 'utf8'));
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'inferd-pack-'));
  const tarballs = join(work, 'tarballs');
  app = join(work, 'app');
  mkdirSync(tarballs);
  mkdirSync(app);
  // prepack (`tsc -b`) builds each package first, so this also works on a checkout without dist/
  const out = await npm(repoRoot, 'pack', '--workspaces', '--json', '--pack-destination', tarballs);
  packs = JSON.parse(out.slice(out.indexOf('['))) as PackResult[];
  const packed: PackedPackage[] = packs.map((p) => ({
    manifest: manifest(p.name), spec: `file:../tarballs/${p.filename}`, integrity: p.integrity,
  }));
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as WorkspaceLock;
  const lockfile = appLockfile(lock, packed, 'inferd-pack-app') as { packages: Record<string, { dependencies?: object }> };
  writeFileSync(join(app, 'package.json'), JSON.stringify({
    name: 'inferd-pack-app', version: '1.0.0', private: true, type: 'module', dependencies: lockfile.packages['']!.dependencies,
  }, null, 2));
  writeFileSync(join(app, 'package-lock.json'), JSON.stringify(lockfile, null, 2));
  await npm(app, 'ci', '--offline', '--no-audit', '--no-fund');
  // one real ONNX model (INPUT0 + INPUT1, INPUT0 - INPUT1), so onnxruntime-node's CPU binary must load
  cpSync(join(repoRoot, 'examples', 'models', 'simple'), join(work, 'models', 'simple'), { recursive: true });
});

after(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

test('each tarball holds its README, LICENSE and built entry, and no build cache or source map', () => {
  assert.deepEqual(packs.map((p) => p.name).sort(), Object.keys(WORKSPACES).sort());
  const stubs = readdirSync(join(repoRoot, 'packages/server/src/backends/python/stub')).filter((f) => f.endsWith('.py'));
  assert.ok(stubs.includes('inferd_stub.py') && stubs.includes('triton_python_backend_utils.py'));
  const expected: Record<string, string[]> = {
    '@inferd/protocol': ['proto/grpc_service.proto', 'proto/health.proto', 'proto/model_config.proto'],
    '@inferd/client': ['dist/http.js', 'dist/grpc.js', 'dist/shm.js'],
    inferd: ['bin/inferd', 'bin/malloc-tuning.sh', 'bin/inferd.js', 'dist/cli/main.js', 'dist/console/index.html', ...stubs.map((f) => `src/backends/python/stub/${f}`)],
    '@inferd/perf': ['bin/inferd-perf.js', 'dist/cli.js'],
  };
  for (const p of packs) {
    const files = p.files.map((f) => f.path);
    for (const f of ['README.md', 'LICENSE', 'package.json', 'dist/index.js', 'dist/index.d.ts', ...expected[p.name]!]) {
      assert.ok(files.includes(f), `${p.name} packs ${f}`);
    }
    assert.deepEqual(files.filter((f) => f.endsWith('.tsbuildinfo') || f.endsWith('.map')), [], `${p.name}: no caches or maps`);
    assert.deepEqual(files.filter((f) => f.startsWith('src/') && !f.endsWith('.py')), [], `${p.name}: no TypeScript sources`);
  }
});

test('npx inferd --version and npx inferd-perf --version answer from the installed packages', async () => {
  const npx = async (...args: string[]): Promise<string> =>
    (await run('npx', ['--no-install', ...args], { cwd: app, env: npmEnv(), timeout: 30_000 })).stdout.trim();
  assert.equal(await npx('inferd', '--version'), `inferd ${manifest('inferd').version}`);
  assert.equal(await npx('inferd-perf', '--version'), `inferd-perf ${manifest('@inferd/perf').version}`);
});

test('every entry point imports from the installed project, and createInferenceServer runs the model in-process', async () => {
  const script = `
    import { createInferenceServer } from 'inferd';
    import { InferInput } from '@inferd/client';
    import { HttpClient } from '@inferd/client/http';
    import { GrpcClient } from '@inferd/client/grpc';
    import { SystemSharedMemoryRegion } from '@inferd/client/shm';
    import { PROTO_DIR } from '@inferd/protocol';
    import { runPerf } from '@inferd/perf';
    import { existsSync } from 'node:fs';
    const kinds = [InferInput, HttpClient, GrpcClient, SystemSharedMemoryRegion, runPerf].map((x) => typeof x);
    const { server } = await createInferenceServer({ modelRepository: ${JSON.stringify(join(work, 'models'))} });
    const bytes = (a) => new Uint8Array(Int32Array.from(a).buffer);
    const out = await server.infer({ modelName: 'simple', inputs: [
      { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: bytes(Array.from({ length: 16 }, (_, i) => i)) },
      { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: bytes(Array(16).fill(2)) }] });
    const sum = out.outputs.find((o) => o.name === 'OUTPUT0');
    console.log(JSON.stringify({ kinds, proto: existsSync(PROTO_DIR + 'grpc_service.proto'), sum: [...new Int32Array(sum.data.slice().buffer)] }));
    await server.shutdown();`;
  // a file in the project, not `-e`: ONNX worker threads inherit the process's flags (`--input-type` would fail them)
  writeFileSync(join(app, 'embed.mjs'), script);
  const { stdout } = await run(process.execPath, ['embed.mjs'], { cwd: app, timeout: 60_000 });
  assert.deepEqual(JSON.parse(stdout), {
    kinds: ['function', 'function', 'function', 'function', 'function'], proto: true,
    sum: Array.from({ length: 16 }, (_, i) => i + 2),
  });
});

test('inferd serve of the installed package answers an ONNX inference over HTTP', async () => {
  // the bin npx runs, started directly: npx does not pass SIGTERM on, so its inferd would outlive the test
  const server = await startServe(['--model-repository', join(work, 'models')], {
    command: [join(app, 'node_modules', '.bin', 'inferd')], cwd: app, env: npmEnv() as Record<string, string>,
  });
  try {
    assert.equal((await fetch(`${server.url}/v2/health/ready`)).status, 200);
    // The web console ships inside the package: its page and the script it names.
    const page = await fetch(`${server.url}/console/`);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(await page.text())?.[1];
    assert.ok(script !== undefined, 'the page names its script');
    const js = await fetch(`${server.url}${script}`);
    assert.equal(js.status, 200);
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
    const a = Array.from({ length: 16 }, (_, i) => 3 * i);
    const b = Array.from({ length: 16 }, (_, i) => 10 - i);
    const res = await fetch(`${server.url}/v2/models/simple/infer`, {
      method: 'POST',
      body: JSON.stringify({ inputs: [
        { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: a },
        { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: b },
      ] }),
    });
    assert.equal(res.status, 200);
    const outputs = new Map(((await res.json()) as { outputs: { name: string; data: number[] }[] }).outputs.map((o) => [o.name, o.data]));
    assert.deepEqual(outputs.get('OUTPUT0'), a.map((x, i) => x + b[i]!));
    assert.deepEqual(outputs.get('OUTPUT1'), a.map((x, i) => x - b[i]!));
  } finally {
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0, server.stderr());
  }
});
