import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeBytesElements } from '@inferd/protocol';
import {
  addPerfFlags, toPerfOptions, toSweepOptions, buildInputSets, csvHeader, parseBatchingChoices, parseModelStats, parseRange, parseShape, rangeValues, summarizeLatencies,
  type InputDataOptions, type ModelInfo,
} from '../src/index.js';
import { Progress } from '../src/progress.js';
import { Command } from 'commander';

const model: ModelInfo = {
  name: 'm', maxBatchSize: 8, responseCache: false, decoupled: false, sequenceBatching: false,
  inputs: [{ name: 'A', datatype: 'INT32', dims: [4] }, { name: 'S', datatype: 'BYTES', dims: [-1] }],
  outputs: [],
};
const base: InputDataOptions = {
  batchSize: 2, inputData: 'random', shapes: new Map([['S', [3]]]), stringLength: 5, stringData: undefined, seed: 7,
};

test('ranges and shapes parse as perf_analyzer\'s', () => {
  assert.deepEqual(rangeValues(parseRange('1:8:3', '--c')), [1, 4, 7]);
  assert.deepEqual(rangeValues(parseRange('4', '--c')), [4]);
  assert.deepEqual(rangeValues(parseRange('0.5:1.5:0.5', '--r')), [0.5, 1, 1.5]);
  assert.throws(() => parseRange('4:1', '--c'), /0 < start <= end/);
  assert.deepEqual(parseShape('x:y:1,3'), ['x:y', [1, 3]]);
  assert.throws(() => parseShape('x:a'), /name:d1,d2/);
  assert.deepEqual(parseBatchingChoices('off,0,500'), [{ kind: 'off' }, { kind: 'dynamic', delayUs: 0 }, { kind: 'dynamic', delayUs: 500 }]);
});

test('random inputs: batch dim added, BYTES random strings of --string-length, same seed same data', () => {
  const [set] = buildInputSets(model, base);
  const [a, s] = set!;
  assert.deepEqual(a!.shape, [2, 4]);
  assert.equal(a!.data.byteLength, 32);
  assert.deepEqual(s!.shape, [2, 3]);
  const strings = decodeBytesElements(s!.data).map((b) => Buffer.from(b).toString());
  assert.equal(strings.length, 6);
  assert.ok(strings.every((x) => /^[A-Za-z0-9]{5}$/.test(x)));
  assert.deepEqual(buildInputSets(model, base)[0]![1]!.data, s!.data);
  const zero = buildInputSets(model, { ...base, inputData: 'zero' })[0]![0]!;
  assert.ok(zero.data.every((b) => b === 0));
  assert.throws(() => buildInputSets(model, { ...base, shapes: new Map() }), /variable dims \[-1\]; give them with --shape S/);
  assert.throws(() => buildInputSets({ ...model, maxBatchSize: 0 }, base), /does not support batching/);
  // An optional input with variable dims is left out unless --shape gives its dims.
  const withOptional: ModelInfo = { ...model, inputs: [...model.inputs, { name: 'O', datatype: 'FP32', dims: [-1], optional: true }] };
  assert.deepEqual(buildInputSets(withOptional, base)[0]!.map((t) => t.name), ['A', 'S']);
  const shapes = new Map([...base.shapes, ['O', [2]]]);
  assert.deepEqual(buildInputSets(withOptional, { ...base, shapes })[0]!.map((t) => t.name), ['A', 'S', 'O']);
});

test('a perf_analyzer JSON data file: lists, content+shape and b64, one request per entry, repeated per batch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-perf-unit-'));
  try {
    const file = join(dir, 'data.json');
    const b64 = Buffer.from(new Int32Array([9, 9, 9, 9]).buffer).toString('base64');
    writeFileSync(file, JSON.stringify({ data: [
      { A: [1, 2, 3, 4], S: { content: ['x', 'y'], shape: [2] } },
      { A: { b64 }, S: ['a', 'b', 'c'] },
    ] }));
    const sets = buildInputSets(model, { ...base, inputData: file });
    assert.equal(sets.length, 2);
    assert.deepEqual([...new Int32Array(sets[0]![0]!.data.slice().buffer)], [1, 2, 3, 4, 1, 2, 3, 4]);
    assert.deepEqual(sets[0]![1]!.shape, [2, 2]);
    assert.deepEqual(decodeBytesElements(sets[0]![1]!.data).map((b) => Buffer.from(b).toString()), ['x', 'y', 'x', 'y']);
    assert.deepEqual([...new Int32Array(sets[1]![0]!.data.slice().buffer)], [9, 9, 9, 9, 9, 9, 9, 9]);
    writeFileSync(file, JSON.stringify({ data: [{ A: [1, 2, 3, 4] }] }));
    assert.throws(() => buildInputSets(model, { ...base, inputData: file }), /no data for input 'S'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('statistics: HTTP JSON and gRPC shapes read the same; percentiles from the HDR histogram', () => {
  const http = { model_stats: [{ name: 'm', version: '1', inference_count: 4, execution_count: 2,
    inference_stats: { success: { count: 4, ns: 4000 }, queue: { count: 4, ns: 400 } } }] };
  const grpc = { modelStats: [{ name: 'm', version: '1', inferenceCount: '4', executionCount: '2',
    inferenceStats: { success: { count: '4', ns: '4000' }, queue: { count: '4', ns: '400' } } }] };
  assert.deepEqual(parseModelStats(http, 'm', ''), parseModelStats(grpc, 'm', ''));
  assert.equal(parseModelStats(http, 'm', '2').inferenceCount, 0);
  const s = summarizeLatencies(Array.from({ length: 100 }, (_, i) => i + 1), 75);
  assert.equal(s.avgUs, 50.5);
  assert.equal(s.percentilesUs.get(50), 50);
  assert.equal(s.percentilesUs.get(99), 99);
  assert.equal(s.percentilesUs.get(75), 75);
});

test('CSV header variants follow perf_analyzer: cache columns, verbose columns, request rate', () => {
  const h = (o: Partial<Parameters<typeof csvHeader>[0]>): string =>
    csvHeader({ mode: 'concurrency', includeServerStats: true, responseCache: false, verbose: false, percentile: undefined, ...o });
  assert.match(h({ responseCache: true }), /Server Compute Output,Server Cache Hit,Server Cache Miss,Client Recv/);
  assert.match(h({ verbose: true }), /p99 latency,Avg latency,request\/response,response wait$/);
  assert.match(h({ verbose: true, percentile: 95 }), /p99 latency,request\/response,response wait$/);
  assert.equal(h({ includeServerStats: false, mode: 'request-rate' }),
    'Request Rate,Inferences/Second,Client Send,Client Recv,p50 latency,p90 latency,p95 latency,p99 latency');
});

test('the progress line is drawn on a TTY only', () => {
  let tty = '';
  const p = new Progress({ isTTY: true, write: (t: string) => (tty += t) });
  p.update('a');
  p.clear();
  assert.equal(tty, '\r\x1b[Ka\r\x1b[K');
  let pipe = '';
  const q = new Progress({ isTTY: false, write: (t: string) => (pipe += t) });
  q.update('a');
  q.clear();
  assert.equal(pipe, '');
});

test('perf_analyzer flag names map onto the options', () => {
  const parse = (argv: string[]): Record<string, unknown> => {
    const cmd = addPerfFlags(new Command('inferd-perf').exitOverride().configureOutput({ writeErr: () => undefined }));
    cmd.parse(argv, { from: 'user' });
    return cmd.opts();
  };
  const v = parse(['-m', 'simple', '-i', 'grpc', '-b', '4', '-p', '750', '-s', '5', '-r', '7', '--percentile', '95',
    '--shape', 'A:1,2', '--shape', 'B:3', '--request-rate-range', '10:30:10', '--request-distribution', 'poisson', '--sync']);
  const o = toPerfOptions(v as never);
  assert.equal(o.url, 'localhost:8001');
  assert.equal(o.batchSize, 4);
  assert.equal(o.measurementIntervalMs, 750);
  assert.equal(o.stabilityPercentage, 5);
  assert.equal(o.maxTrials, 7);
  assert.equal(o.percentile, 95);
  assert.deepEqual([...o.shapes], [['A', [1, 2]], ['B', [3]]]);
  assert.deepEqual(o.requestRateRange, { start: 10, end: 30, step: 10 });
  assert.equal(o.concurrencyRange, undefined);
  assert.equal(o.requestDistribution, 'poisson');
  const d = toPerfOptions(parse(['-m', 'simple']) as never);
  assert.deepEqual(d.concurrencyRange, { start: 1, end: 1, step: 1 });
  assert.equal(d.url, 'localhost:8000');
  assert.equal(toSweepOptions(parse(['-m', 'x']) as never), undefined);
  assert.throws(() => toSweepOptions(parse(['-m', 'x', '--sweep']) as never), /--sweep needs --latency-budget-ms/);
  assert.deepEqual(toSweepOptions(parse(['-m', 'x', '--sweep', '--latency-budget-ms', '20', '--sweep-instance-counts', '1,3']) as never), {
    instanceCounts: [1, 3], batching: [{ kind: 'off' }, { kind: 'dynamic', delayUs: 0 }, { kind: 'dynamic', delayUs: 500 }],
    latencyBudgetMs: 20, outputFile: undefined, apply: false,
  });
  assert.equal(toSweepOptions(parse(['-m', 'x', '--sweep', '--latency-budget-ms', '20', '--sweep-apply']) as never)!.apply, true);
  assert.throws(() => parse(['-m', 'x', '-i', 'carrier-pigeon']), /Allowed choices are http, grpc, inprocess/);
});
