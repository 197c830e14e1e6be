/**
 * A real S3-compatible server for tests: Ceph's RADOS Gateway from Debian's packages (radosgw, ceph-mon,
 * ceph-osd), on a throw-away one-node cluster — one monitor, one OSD on the in-memory object store, no
 * manager, no authentication inside the cluster — listening on loopback. S3 clients authenticate with
 * the access key of a user made with radosgw-admin. Start-up takes about ten seconds.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const RADOSGW_BINARIES = ['/usr/bin/radosgw', '/usr/bin/radosgw-admin', '/usr/bin/ceph-mon', '/usr/bin/ceph-osd', '/usr/bin/ceph', '/usr/bin/monmaptool'];

/** Why the S3 tests cannot run here (undefined = they can). */
export function radosgwMissing(): string | undefined {
  const missing = RADOSGW_BINARIES.filter((b) => !existsSync(b));
  return missing.length === 0 ? undefined
    : `Ceph's RADOS Gateway is not installed (missing ${missing.join(', ')}; apt-get install radosgw ceph-mon ceph-osd)`;
}

export interface Radosgw {
  /** `127.0.0.1:port`: the S3 endpoint (path-style, HTTP). */
  readonly hostPort: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function startRadosgw(): Promise<Radosgw> {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-radosgw-'));
  for (const d of ['mon', 'osd', 'run', 'log', 'rgw']) mkdirSync(join(dir, d));
  const [monPort, rgwPort] = [await freePort(), await freePort()];
  const fsid = randomUUID();
  const conf = join(dir, 'ceph.conf');
  writeFileSync(conf, `[global]
fsid = ${fsid}
mon host = v1:127.0.0.1:${monPort}
public addr = 127.0.0.1
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
run dir = ${dir}/run
admin socket = ${dir}/run/$name.asok
log file = ${dir}/log/$name.log
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
# The OSD's own crush and device-class updates at start race its first monitor map (it then sends the
# command with a zero fsid, which the monitor refuses, and exits): the crush entry is made by \`ceph\` below.
osd crush update on start = false
osd class update on start = false
mon allow pool size one = true
mon warn on pool no redundancy = false
mon data avail crit = 1
osd objectstore = memstore
memstore device bytes = 1073741824
osd data = ${dir}/osd/$name
[mon]
mon data = ${dir}/mon/$name
[client.rgw.a]
rgw data = ${dir}/rgw
rgw frontends = beast endpoint=127.0.0.1:${rgwPort}
`);
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    // Gateway first, then the OSD, then the monitor: each stops cleanly while what it talks to is still up.
    for (const c of [...children].reverse()) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const daemon = (cmd: string, args: string[]): void => {
    // -f: in the foreground, so these children are the daemons and stop() can end them by pid.
    const c = spawn(cmd, ['-f', '-c', conf, ...args], { stdio: 'ignore' });
    children.push(c);
  };
  const logs = (): string => ['mon.a', 'osd.0', 'client.rgw.a'].map((n) => {
    const f = join(dir, 'log', `${n}.log`);
    return existsSync(f) ? `--- ${n}\n${readFileSync(f, 'utf8').split('\n').slice(-15).join('\n')}` : '';
  }).join('\n');
  try {
    await run('monmaptool', ['--create', '--fsid', fsid, '--addv', 'a', `[v1:127.0.0.1:${monPort}]`, join(dir, 'monmap')]);
    await run('ceph-authtool', ['--create-keyring', join(dir, 'keyring'), '--gen-key', '-n', 'mon.', '--cap', 'mon', 'allow *']);
    await run('ceph-mon', ['-c', conf, '--mkfs', '-i', 'a', '--monmap', join(dir, 'monmap'), '--keyring', join(dir, 'keyring')]);
    daemon('ceph-mon', ['-i', 'a']);
    const osdUuid = randomUUID();
    const { stdout } = await run('ceph', ['-c', conf, '--connect-timeout', '30', 'osd', 'new', osdUuid], { timeout: 40_000 });
    const id = stdout.trim();
    await run('ceph', ['-c', conf, '--connect-timeout', '30', 'osd', 'crush', 'add', `osd.${id}`, '1.0', 'root=default', 'host=localhost'], { timeout: 40_000 });
    mkdirSync(join(dir, 'osd', `osd.${id}`));
    await run('ceph-osd', ['-c', conf, '-i', id, '--mkfs', '--osd-uuid', osdUuid]);
    daemon('ceph-osd', ['-i', id]);
    daemon('radosgw', ['-n', 'client.rgw.a']);
    const url = `http://127.0.0.1:${rgwPort}/`;
    const deadline = Date.now() + 90_000;
    for (;;) {
      const ok = await fetch(url).then((r) => r.status === 200, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error('radosgw did not answer within 90 s');
      if (children.some((c) => c.exitCode !== null)) throw new Error('a Ceph daemon exited');
      await new Promise((r) => setTimeout(r, 200));
    }
    const accessKeyId = 'INFERDTEST0000000001';
    const secretAccessKey = 'inferd-test-secret-key-0000000000000001';
    await run('radosgw-admin', ['-c', conf, 'user', 'create', '--uid=inferd', '--display-name=inferd tests',
      `--access-key=${accessKeyId}`, `--secret-key=${secretAccessKey}`], { timeout: 30_000 });
    return { hostPort: `127.0.0.1:${rgwPort}`, accessKeyId, secretAccessKey, stop };
  } catch (err) {
    const why = `${(err as Error).message}\n${logs()}`;
    await stop();
    throw new Error(`could not start radosgw: ${why}`);
  }
}
