/**
 * `--model-repository s3://host:port/bucket/path` against a real S3-compatible server (Ceph's RADOS
 * Gateway, test/support/radosgw.ts) with Triton's credential variables: ONNX models are downloaded and
 * serve real results; in poll mode an uploaded model loads, a changed one reloads and a deleted one
 * unloads; in explicit mode a load fetches what was uploaded since start; wrong credentials and a
 * missing bucket fail start-up with S3's error. Skipped, with the reason, only where radosgw is absent.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  CreateBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, S3Client,
} from '@aws-sdk/client-s3';
import { radosgwMissing, startRadosgw, type Radosgw } from '../support/radosgw.js';
import { repoRoot, runCli, startServe } from '../support/spawn-cli.js';
import { identityConfig } from '../support/temp-repo.js';

const missing = radosgwMissing();
if (missing !== undefined) console.log(`# skipping the S3 repository tests: ${missing}`);

describe('S3 model repositories on Ceph RGW', { skip: missing }, () => {
  let rgw: Radosgw;
  let s3: S3Client;
  let env: Record<string, string>;
  const BUCKET = 'inferd-models';

  before(async () => {
    rgw = await startRadosgw();
    s3 = new S3Client({
      endpoint: `http://${rgw.hostPort}`, forcePathStyle: true, region: 'us-east-1',
      credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
    });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    // Triton's variables; nothing else tells the server where or who it is.
    env = { AWS_ACCESS_KEY_ID: rgw.accessKeyId, AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1' };
  });

  after(async () => {
    s3?.destroy();
    await rgw?.stop();
  });

  const put = (key: string, body: string | Uint8Array): Promise<unknown> =>
    s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));

  /** Uploads a local model directory under `prefix/<name>/`, as `aws s3 cp --recursive` would (no folder markers). */
  async function uploadModel(prefix: string, name: string, from = join(repoRoot, 'examples/models', name)): Promise<void> {
    const walk = (d: string): string[] => readdirSync(d).flatMap((e) => (statSync(join(d, e)).isDirectory() ? walk(join(d, e)) : [join(d, e)]));
    for (const file of walk(from)) await put(`${prefix}/${name}/${relative(from, file)}`, readFileSync(file));
  }

  async function deletePrefix(prefix: string): Promise<void> {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${prefix}/` }));
    const keys = (listed.Contents ?? []).map((o) => ({ Key: o.Key! }));
    if (keys.length > 0) await s3.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: keys } }));
  }

  async function until(what: string, check: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 300; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`never happened: ${what}`);
  }

  const ready = async (url: string, model: string): Promise<boolean> => (await fetch(`${url}/v2/models/${model}/ready`)).status === 200;

  async function inferSimple(url: string): Promise<{ OUTPUT0: number[]; OUTPUT1: number[] }> {
    const a = Array.from({ length: 16 }, (_, i) => i);
    const res = await fetch(`${url}/v2/models/simple/infer`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ inputs: [
        { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: a },
        { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: a.map(() => 3) },
      ] }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    const body = await res.json() as { outputs: { name: 'OUTPUT0' | 'OUTPUT1'; data: number[] }[] };
    return Object.fromEntries(body.outputs.map((o) => [o.name, o.data])) as { OUTPUT0: number[]; OUTPUT1: number[] };
  }

  test('poll mode: models served from the bucket; uploads load, changes reload, deletions unload', async () => {
    await uploadModel('poll/repo', 'simple');
    // An identity model whose empty version directory exists only as a folder marker object.
    await put('poll/repo/ident/config.pbtxt', identityConfig());
    await put('poll/repo/ident/1/', '');
    const run = await startServe([
      '--model-repository', `s3://${rgw.hostPort}/${BUCKET}/poll/repo`, '--model-control-mode=poll', '--repository-poll-secs=1',
    ], { env });
    try {
      const out = await inferSimple(run.url);
      assert.deepEqual(out.OUTPUT0, Array.from({ length: 16 }, (_, i) => i + 3));
      assert.deepEqual(out.OUTPUT1, Array.from({ length: 16 }, (_, i) => i - 3));
      assert.ok(await ready(run.url, 'ident'), run.stderr());
      assert.match(run.stderr(), new RegExp(`synced s3://${rgw.hostPort}/${BUCKET}/poll/repo to \\S+: 3 downloaded, 0 removed, 3 files`));

      await uploadModel('poll/repo', 'identity_fp32');
      await until('identity_fp32 loads after its upload', () => ready(run.url, 'identity_fp32'));
      const r = await fetch(`${run.url}/v2/models/identity_fp32/infer`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ inputs: [{ name: 'INPUT0', shape: [1, 3], datatype: 'FP32', data: [1.5, -2, 8] }] }),
      });
      assert.deepEqual((await r.json() as { outputs: { data: number[] }[] }).outputs[0]!.data, [1.5, -2, 8]);

      // A changed config (a new version policy label is enough to change the fingerprint) reloads the model.
      await put('poll/repo/ident/config.pbtxt', identityConfig('parameters { key: "revision" value { string_value: "2" } }'));
      await until('ident reloads with its new config', async () => {
        const c = await (await fetch(`${run.url}/v2/models/ident/config`)).json() as { parameters?: Record<string, { string_value: string }> };
        return c.parameters?.revision?.string_value === '2';
      });

      await deletePrefix('poll/repo/simple');
      await until('simple unloads once its objects are gone', async () => !(await ready(run.url, 'simple')));
      assert.ok(await ready(run.url, 'ident'));
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });

  test('explicit mode: a load fetches the model uploaded after start', async () => {
    await uploadModel('explicit', 'identity_fp32');
    const run = await startServe([
      '--model-repository', `s3://http://${rgw.hostPort}/${BUCKET}/explicit`, '--model-control-mode=explicit', '--log-format=json',
    ], { env });
    try {
      assert.equal(await ready(run.url, 'simple'), false);
      await uploadModel('explicit', 'simple');
      const load = await fetch(`${run.url}/v2/repository/models/simple/load`, { method: 'POST' });
      assert.equal(load.status, 200, await load.text());
      assert.deepEqual((await inferSimple(run.url)).OUTPUT0, Array.from({ length: 16 }, (_, i) => i + 3));
      // Every line is a JSON record (the SDK's Node warnings included); the syncs carry their counts.
      const records = run.stderr().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
      const syncs = records.filter((r) => r.repository === `s3://http://${rgw.hostPort}/${BUCKET}/explicit`);
      assert.deepEqual(syncs.map((r) => [r.downloaded, r.removed, r.files]), [[2, 0, 2], [2, 0, 4]]);
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });

  test('wrong credentials and a missing bucket fail start-up with S3\'s error', async () => {
    await uploadModel('creds', 'identity_fp32');
    const wrong = runCli(['serve', '--model-repository', `s3://${rgw.hostPort}/${BUCKET}/creds`, '--http-port=0', '--grpc-port=0', '--metrics-port=0'],
      { env: { ...env, AWS_SECRET_ACCESS_KEY: 'not-the-secret' } });
    assert.equal(await wrong.exited, 1);
    assert.match(wrong.stderr(), new RegExp(`failed to list s3://${rgw.hostPort}/${BUCKET}/creds: SignatureDoesNotMatch`));
    const none = runCli(['serve', '--model-repository', `s3://${rgw.hostPort}/no-such-bucket/x`, '--http-port=0', '--grpc-port=0', '--metrics-port=0'], { env });
    assert.equal(await none.exited, 1);
    assert.match(none.stderr(), /failed to list s3:\/\/[\d.:]+\/no-such-bucket\/x: NoSuchBucket/);
  });
});
