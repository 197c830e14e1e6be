/**
 * `--log-format` through the real `inferd serve`: `json` (inferd's) gives one JSON object per line with
 * time, level, pid, source, message and the structured fields of model lifecycle and listener records;
 * `ISO8601` (Triton's) gives its prefix on every line; a bad value is a usage error that lists the
 * accepted values; the logging API switches a running server to `json` and back; and the in-process
 * Logger keeps a multi-line message on one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, startServe } from '../support/spawn-cli.js';
import { identityConfig, makeRepo } from '../support/temp-repo.js';
import { Logger } from '../../src/index.js';

interface JsonRecord {
  time: string;
  level: string;
  pid: number;
  source: string;
  message: string;
  [field: string]: unknown;
}

/** Every non-empty line as JSON; a line that is not one object fails the test with the line shown. */
function records(text: string): JsonRecord[] {
  return text.split('\n').filter((l) => l !== '').map((line) => {
    let r: unknown;
    try {
      r = JSON.parse(line);
    } catch {
      assert.fail(`not a JSON line: ${line}`);
    }
    assert.ok(typeof r === 'object' && r !== null && !Array.isArray(r), line);
    return r as JsonRecord;
  });
}

const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

test('--log-format=json: every line is one JSON record, with model and listener fields', async () => {
  // A broken config whose parse error spans text with quotes: still one line per record.
  // A warm-up sample, so --log-verbose=1 has a verbose record to print.
  const warmup = 'model_warmup [ { name: "w" batch_size: 1 inputs { key: "INPUT0" value { data_type: TYPE_FP32 dims: [ 2 ] zero_data: true } } } ]';
  const repo = makeRepo({
    'm/config.pbtxt': identityConfig(warmup), 'm/1/': null,
    'broken/config.pbtxt': 'max_batch_size: "eight"\ninput [ {', 'broken/1/': null,
  });
  const run = await startServe([
    '--model-repository', repo.dir, '--log-format=json', '--log-verbose=1', '--exit-on-error=false',
    '--model-control-mode=explicit', '--load-model=m', '--load-model=broken', '--strict-readiness=false',
  ]);
  try {
    const unload = await fetch(`${run.url}/v2/repository/models/m/unload`, { method: 'POST' });
    assert.equal(unload.status, 200);
    run.child.kill('SIGTERM');
    assert.equal(await run.exited, 0);
    const all = records(run.stderr());
    assert.ok(all.length >= 8, run.stderr());
    for (const r of all) {
      assert.match(r.time, ISO_MS, JSON.stringify(r));
      assert.ok(Math.abs(Date.parse(r.time) - Date.now()) < 10 * 60_000, `time ${r.time} is now-ish`);
      assert.ok(['info', 'warning', 'error', 'verbose'].includes(r.level), JSON.stringify(r));
      assert.equal(r.pid, run.child.pid);
      assert.equal(typeof r.source, 'string');
      assert.equal(typeof r.message, 'string');
    }
    const find = (pred: (r: JsonRecord) => boolean, what: string): JsonRecord => {
      const r = all.find(pred);
      assert.ok(r !== undefined, `${what} in:\n${run.stderr()}`);
      return r;
    };
    const loaded = find((r) => r.message === "successfully loaded 'm' version 1", 'load record');
    assert.deepEqual([loaded.level, loaded.source, loaded.model, loaded.version, loaded.state], ['info', 'model_lifecycle', 'm', 1, 'READY']);
    const failed = find((r) => r.model === 'broken' && r.level === 'error', 'failure record');
    assert.equal(failed.source, 'model_lifecycle');
    assert.match(failed.message, /broken/);
    const unloaded = find((r) => r.message === "successfully unloaded 'm' version 1", 'unload record');
    assert.deepEqual([unloaded.model, unloaded.version, unloaded.state], ['m', 1, 'UNAVAILABLE']);
    const http = find((r) => r.message.startsWith('Started HTTPService at '), 'HTTP listener record');
    assert.deepEqual([http.source, http.address, `http://${String(http.address)}:${String(http.port)}`], ['http_server', '127.0.0.1', run.url]);
    const grpc = find((r) => r.message.startsWith('Started GRPCInferenceService at '), 'gRPC listener record');
    assert.equal(grpc.port, run.grpcPort);
    const start = find((r) => typeof r.inferd_version === 'string', 'start record');
    assert.equal(start.server_id, 'triton');
    assert.equal(find((r) => r.message.startsWith('received SIGTERM'), 'signal record').signal, 'SIGTERM');
    const verbose = all.filter((r) => r.level === 'verbose');
    assert.ok(verbose.length > 0 && verbose.every((r) => r.verbose_level === 1), 'verbose records carry their level');
    assert.ok(verbose.some((r) => r.message.includes("running warmup sample 'w'")), run.stderr());
  } finally {
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
    repo.cleanup();
  }
});

test('--log-format=ISO8601: Triton\'s ISO 8601 prefix on every line', async () => {
  const repo = makeRepo({ 'm/config.pbtxt': identityConfig(), 'm/1/': null });
  const run = await startServe(['--model-repository', repo.dir, '--log-format', 'ISO8601']);
  try {
    // One round trip first: the CLI installs its SIGTERM handler just after the listeners report.
    assert.equal((await fetch(`${run.url}/v2/health/ready`)).status, 200);
    run.child.kill('SIGTERM');
    assert.equal(await run.exited, 0);
    const lines = run.stderr().split('\n').filter((l) => l !== '');
    assert.ok(lines.length >= 4);
    for (const line of lines) assert.match(line, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ [IWEV] ${run.child.pid} \\w+\\] `));
    assert.ok(lines.some((l) => l.endsWith("model_lifecycle] successfully loaded 'm' version 1")), run.stderr());
  } finally {
    repo.cleanup();
  }
});

test('a --log-format value outside default, ISO8601 and json is a usage error naming them', async () => {
  const run = runCli(['serve', '--model-repository', 'examples/models', '--log-format=xml']);
  assert.equal(await run.exited, 2);
  assert.match(run.stderr(), /invalid argument for --log-format, got: xml \(accepted: default, ISO8601, json\)/);
});

test('the logging API switches a running server to json and back; settings read back as json', async () => {
  const repo = makeRepo({ 'm/config.pbtxt': identityConfig(), 'm/1/': null });
  const run = await startServe(['--model-repository', repo.dir, '--model-control-mode=explicit']);
  const logging = (body?: unknown): Promise<Response> => fetch(`${run.url}/v2/logging`, body === undefined ? {} : {
    method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' },
  });
  try {
    const set = await logging({ log_format: 'json' });
    assert.equal(set.status, 200);
    assert.equal((await set.json() as { log_format: string }).log_format, 'json');
    const before = run.stderr().length;
    assert.equal((await fetch(`${run.url}/v2/repository/models/m/load`, { method: 'POST' })).status, 200);
    const loadedAsJson = records(run.stderr().slice(before));
    assert.ok(loadedAsJson.some((r) => r.model === 'm' && r.state === 'READY'), run.stderr());

    assert.equal((await logging({ log_format: 'default' })).status, 200);
    const mid = run.stderr().length;
    assert.equal((await fetch(`${run.url}/v2/repository/models/m/unload`, { method: 'POST' })).status, 200);
    assert.match(run.stderr().slice(mid), /^I\d{4} [\d:.]+ \d+ model_lifecycle\] successfully unloaded 'm' version 1$/m);
  } finally {
    run.child.kill('SIGTERM');
    await run.exited;
    repo.cleanup();
  }
});

test('in-process Logger with format json: a message with newlines stays one line; fields cannot replace the core keys', () => {
  const lines: string[] = [];
  const logger = new Logger({ format: 'json' });
  logger.write = (l) => lines.push(l);
  logger.error('python_stub', 'Traceback:\n  File "model.py", line 3\nValueError: "x"', { model: 'py', level: 'fake', message: 'fake' });
  assert.equal(lines.length, 1);
  assert.ok(lines[0]!.endsWith('}\n') && !lines[0]!.slice(0, -1).includes('\n'), lines[0]);
  const r = JSON.parse(lines[0]!) as JsonRecord;
  assert.deepEqual([r.level, r.source, r.model, r.message], ['error', 'python_stub', 'py', 'Traceback:\n  File "model.py", line 3\nValueError: "x"']);
});
