/** `inferd serve --trace-config ...` end to end: settings from the flags, the file written at shutdown, bad flags refused. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, startServe } from '../support/spawn-cli.js';
import { identityConfig, makeRepo } from '../support/temp-repo.js';
import { identityRequest } from './harness.js';

test('serve: --trace-config and a deprecated --trace-* flag; traces written when the server stops', async () => {
  const repo = makeRepo({ 'ident/config.pbtxt': identityConfig(), 'ident/1/': null });
  const dir = mkdtempSync(join(tmpdir(), 'inferd-trace-cli-'));
  const file = join(dir, 'trace.json');
  const run = await startServe([
    '--model-repository', repo.dir, '--trace-config', 'level=TIMESTAMPS', '--trace-rate', '1', '--trace-config', `triton,file=${file}`,
  ]);
  try {
    const settings = await (await fetch(`${run.url}/v2/trace/setting`)).json();
    assert.deepEqual(settings, {
      trace_level: ['TIMESTAMPS'], trace_rate: '1', trace_count: '-1', log_frequency: '0', trace_file: file, trace_mode: 'triton',
    });
    for (const id of ['x', 'y']) {
      const r = await fetch(`${run.url}/v2/models/ident/infer`, { method: 'POST', body: identityRequest(id) });
      assert.equal(r.status, 200);
    }
    const logging = await fetch(`${run.url}/v2/logging`, { method: 'POST', body: JSON.stringify({ log_verbose_level: 1 }) });
    assert.equal(((await logging.json()) as { log_verbose_level: number }).log_verbose_level, 1);
    run.child.kill('SIGTERM');
    await run.exited;
    const objects = JSON.parse(readFileSync(file, 'utf8')) as { model_name?: string; request_id?: string }[];
    assert.deepEqual(objects.filter((o) => o.model_name !== undefined).map((o) => o.request_id), ['x', 'y']);
  } finally {
    run.child.kill('SIGKILL');
    repo.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serve: an invalid --trace-config is refused at start', async () => {
  const repo = makeRepo({ 'ident/config.pbtxt': identityConfig(), 'ident/1/': null });
  try {
    const run = runCli(['serve', '--model-repository', repo.dir, '--trace-config', 'level=LOUD']);
    assert.notEqual(await run.exited, 0);
    assert.match(run.stderr(), /invalid argument for --trace-config level, got: LOUD/);
  } finally {
    repo.cleanup();
  }
});
