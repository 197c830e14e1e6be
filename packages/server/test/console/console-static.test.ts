/**
 * The web console's server side over real HTTP: content types, caching headers, ETag revalidation,
 * client-side routes, the two feeds (metrics text, recent traces), `--allow-console`, and the
 * `console` group of `--http-restricted-api`. Files come from a temp folder shaped like Vite's output.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { request, startHarness, type Harness } from '../support/http-harness.js';
import { addServeFlags, toServeSettings } from '../../src/cli/options.js';
import { parseRestrictedApis } from '../../src/cli/restricted-flags.js';

let dir: string;
let on: Harness;
let off: Harness;
let guarded: Harness;

const INDEX = '<!doctype html><title>inferd console</title><script type="module" src="/console/assets/index-Ab12.js"></script>';
const SCRIPT = 'console.log("console")';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'inferd-console-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'assets', 'index-Ab12.js'), SCRIPT);
  writeFileSync(join(dir, 'assets', 'index-Cd34.css'), 'body{margin:0}');
  on = await startHarness({ console: { dir, metricsText: async () => 'nv_inference_count{model="m",version="1"} 7\n' } });
  off = await startHarness({});
  guarded = await startHarness({ console: { dir }, restrictedApis: parseRestrictedApis(['console:console-key=s3cret'], 'http-restricted-api') });
});

after(async () => {
  await Promise.all([on.close(), off.close(), guarded.close()]);
  rmSync(dir, { recursive: true, force: true });
});

test('the page: text/html, revalidated every time (no-cache), a CSP naming only this origin', async () => {
  const r = await request(on.port, 'GET', '/console/');
  assert.equal(r.status, 200);
  assert.equal(r.text, INDEX);
  assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(r.headers['cache-control'], 'no-cache');
  assert.equal(r.headers['x-content-type-options'], 'nosniff');
  assert.match(String(r.headers['content-security-policy']), /default-src 'self'/);
  assert.match(String(r.headers.etag), /^"[\w-]{16}"$/);
  // A client-side route (a tab) is the same page.
  assert.equal((await request(on.port, 'GET', '/console/models')).text, INDEX);
});

test('hashed assets: their content type, cached for a year as immutable; ETag gives a 304', async () => {
  const js = await request(on.port, 'GET', '/console/assets/index-Ab12.js');
  assert.equal(js.status, 200);
  assert.equal(js.text, SCRIPT);
  assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
  const css = await request(on.port, 'GET', '/console/assets/index-Cd34.css');
  assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
  const again = await request(on.port, 'GET', '/console/assets/index-Ab12.js', { headers: { 'If-None-Match': String(js.headers.etag) } });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);
  const head = await request(on.port, 'HEAD', '/console/assets/index-Ab12.js');
  assert.equal(head.status, 200);
  assert.equal(head.headers['content-length'], String(SCRIPT.length));
  assert.equal(head.body.length, 0);
});

test('redirect, missing asset, wrong method', async () => {
  const r = await request(on.port, 'GET', '/console');
  assert.equal(r.status, 308);
  assert.equal(r.headers.location, '/console/');
  const missing = await request(on.port, 'GET', '/console/assets/gone-0000.js');
  assert.equal(missing.status, 404);
  assert.deepEqual(JSON.parse(missing.text), { error: 'Not Found' });
  const post = await request(on.port, 'POST', '/console/', { body: '{}' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.allow, 'GET, HEAD');
});

test('feeds: the Prometheus text, and the recent traces (empty while tracing is off)', async () => {
  const m = await request(on.port, 'GET', '/console/api/metrics');
  assert.equal(m.status, 200);
  assert.equal(m.text, 'nv_inference_count{model="m",version="1"} 7\n');
  assert.equal(m.headers['cache-control'], 'no-store');
  const t = await request(on.port, 'GET', '/console/api/traces');
  assert.deepEqual(JSON.parse(t.text), { traces: [] });
  // Without the metrics source (--allow-metrics=false) the feed says why.
  const none = await request(guarded.port, 'GET', '/console/api/metrics', { headers: { 'console-key': 's3cret' } });
  assert.equal(none.status, 404);
  assert.deepEqual(JSON.parse(none.text), { error: 'metrics are off (--allow-metrics=false)' });
});

test('console off: /console is a plain 404 and the KServe routes are unchanged', async () => {
  const r = await request(off.port, 'GET', '/console/');
  assert.equal(r.status, 404);
  assert.deepEqual(JSON.parse(r.text), { error: 'Not Found' });
  assert.equal((await request(off.port, 'GET', '/v2/health/live')).status, 200);
});

test('--http-restricted-api console:<key>=<value> guards the page and its feeds; other groups stay open', async () => {
  for (const path of ['/console/', '/console/assets/index-Ab12.js', '/console/api/traces']) {
    const refused = await request(guarded.port, 'GET', path);
    assert.equal(refused.status, 403, path);
    assert.deepEqual(JSON.parse(refused.text), { error: "This API is restricted, expecting header 'console-key'" });
    assert.equal((await request(guarded.port, 'GET', path, { headers: { 'console-key': 's3cret' } })).status, 200, path);
  }
  assert.equal((await request(guarded.port, 'GET', '/v2/health/live')).status, 200);
});

test('flags: --allow-console defaults to on, =false turns it off; console is an HTTP-only group', () => {
  const settings = (args: string[]) => {
    const cmd = addServeFlags(new Command().exitOverride());
    cmd.parse(['--model-repository', '/tmp', ...args], { from: 'user' });
    return toServeSettings(cmd.opts());
  };
  assert.deepEqual(settings([]).http?.console, {});
  assert.equal(settings(['--allow-console=false']).http?.console, undefined);
  assert.deepEqual(settings(['--http-restricted-api', 'console:k=v']).http?.restrictedApis?.get('console'), { key: 'k', value: 'v' });
  assert.throws(() => parseRestrictedApis(['console:k=v'], 'grpc-restricted-protocol'), { message: "unknown restricted protocol 'console'" });
});
