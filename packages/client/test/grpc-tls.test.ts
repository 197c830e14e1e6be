/**
 * GrpcClient over TLS and mutual TLS (certificates made by openssl for this test: a CA, a server
 * certificate for 127.0.0.1, a client certificate), plus keepalive and channel arguments.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GrpcFrontend } from 'inferd';
import { GrpcClient, InferInput, InferenceServerError } from '../src/grpc.js';
import { startLiveServer, type LiveServer } from './support/live-server.js';

let dir: string;
let live: LiveServer;
let frontend: GrpcFrontend;
let url: string;
const pem = (name: string) => readFileSync(join(dir, name));

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'inferd-client-tls-'));
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=inferd client test CA');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${who === 'server' ? 'localhost' : 'inferd client'}`);
    openssl('x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${who}.pem`, '-days', '1', '-extfile', `${who}.ext`);
  }
  live = await startLiveServer();
  frontend = new GrpcFrontend(live.server, {
    port: 0, address: '127.0.0.1', tls: { cert: pem('server.pem'), key: pem('server.key'), rootCert: pem('ca.pem'), mutual: true },
  });
  url = `127.0.0.1:${(await frontend.listen()).port}`;
});
after(async () => {
  await frontend.close();
  await live.close();
  rmSync(dir, { recursive: true, force: true });
});

test('mutual TLS with root certs, client key and chain; keepalive and channel args pass through', async () => {
  const client = new GrpcClient(url, {
    tls: { rootCerts: pem('ca.pem'), privateKey: pem('client.key'), certChain: pem('client.pem') },
    keepalive: { timeMs: 60_000, timeoutMs: 20_000, permitWithoutCalls: false, maxPingsWithoutData: 2 },
    channelArgs: { 'grpc.primary_user_agent': 'inferd-client-test' },
  });
  try {
    assert.equal(await client.isServerReady(), true);
    const r = await client.infer('identity_fp32', [new InferInput('INPUT0', [1, 2], 'FP32').setData([2.5, -1])]);
    assert.deepEqual([...r.asTypedArray('OUTPUT0')], [2.5, -1]);
  } finally {
    client.close();
  }
});

test('without a client certificate the mutual-TLS server refuses: UNAVAILABLE', async () => {
  const client = new GrpcClient(url, { tls: { rootCerts: pem('ca.pem') } });
  try {
    await assert.rejects(client.isServerLive({ timeoutMs: 10_000 }), (err: unknown) => err instanceof InferenceServerError && err.code === 14);
  } finally {
    client.close();
  }
});
