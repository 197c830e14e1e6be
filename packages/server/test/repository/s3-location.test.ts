/** Triton's three spellings of an S3 model repository path, and the paths it refuses. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseS3Path } from '../../src/repository/remote/s3-location.js';

test('s3://bucket/path is Amazon S3; host:port or a scheme in front names an S3-compatible endpoint', () => {
  const pick = (u: string): unknown => {
    const l = parseS3Path(u);
    return [l.endpoint, l.bucket, l.prefix];
  };
  assert.deepEqual(pick('s3://models/prod/triton'), [undefined, 'models', 'prod/triton']);
  assert.deepEqual(pick('s3://models'), [undefined, 'models', '']);
  assert.deepEqual(pick('s3://models/repo/'), [undefined, 'models', 'repo']);
  assert.deepEqual(pick('s3://127.0.0.1:7480/models/repo'), ['http://127.0.0.1:7480', 'models', 'repo']);
  assert.deepEqual(pick('s3://minio.svc.cluster.local:9000/models'), ['http://minio.svc.cluster.local:9000', 'models', '']);
  assert.deepEqual(pick('s3://https://s3.example.com:443/models/a/b'), ['https://s3.example.com:443', 'models', 'a/b']);
  assert.deepEqual(pick('s3://http://rgw:80/models/a'), ['http://rgw:80', 'models', 'a']);
});

test('bad S3 paths are INVALID_ARG naming the path and the reason', () => {
  const cases: [string, RegExp][] = [
    ['s3://', /'' is not a valid bucket name/],
    ['s3://Bad_Bucket/x', /'Bad_Bucket' is not a valid bucket name/],
    ['s3://127.0.0.1:7480/', /'' is not a valid bucket name/],
    ['s3://https://', /'' is not a host or host:port/],
    ['s3://models/a/../b', /'\.' and '\.\.' are not allowed/],
  ];
  for (const [path, why] of cases) {
    assert.throws(() => parseS3Path(path), (e: { code?: string; message: string }) => {
      assert.equal(e.code, 'INVALID_ARG', path);
      assert.match(e.message, new RegExp(`^invalid S3 model repository path '${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}': `));
      assert.match(e.message, why);
      return true;
    });
  }
});
