/** Commander flags (perf_analyzer's names) -> PerfOptions and SweepOptions. */
import { Command, Option } from 'commander';
import { ServerError } from 'inferd';
import { perfOptions, type PerfOptions, type TransportKind } from './options.js';
import { parseRange, parseShape } from './ranges.js';
import { parseBatchingChoices, type SweepOptions } from './sweep.js';

export interface FlagValues {
  modelName: string;
  modelVersion?: string;
  protocol: string;
  url?: string;
  modelRepository: string[];
  batchSize: string;
  inputData: string;
  shape: string[];
  stringLength: string;
  stringData?: string;
  concurrencyRange?: string;
  requestRateRange?: string;
  requestDistribution: string;
  measurementInterval: string;
  stabilityPercentage: string;
  maxTrials: string;
  percentile?: string;
  latencyThreshold: string;
  sharedMemory: string;
  outputSharedMemorySize: string;
  streaming?: boolean;
  async?: boolean;
  sync?: boolean;
  file?: string;
  verboseCsv?: boolean;
  verbose?: boolean;
  seed: string;
  workers: string;
  sweep?: boolean;
  latencyBudgetMs?: string;
  sweepInstanceCounts: string;
  sweepBatching: string;
  sweepOutput?: string;
  sweepApply?: boolean;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export function addPerfFlags(cmd: Command): Command {
  return cmd
    .requiredOption('-m, --model-name <name>', 'model to measure')
    .option('-x, --model-version <version>', 'model version (default: latest)')
    .addOption(new Option('-i, --protocol <kind>', 'transport').choices(['http', 'grpc', 'inprocess']).default('http'))
    .option('-u, --url <host:port>', 'server address (default localhost:8000 for http, localhost:8001 for grpc)')
    .option('--model-repository <dir>', 'repository loaded by -i inprocess (repeatable)', collect, [])
    .option('-b, --batch-size <n>', 'batch size of each request', '1')
    .option('--input-data <random|zero|file.json>', 'input values: random, zero or a perf_analyzer JSON data file', 'random')
    .option('--shape <name:d1,d2>', 'dims of an input with variable dims, without the batch dim (repeatable)', collect, [])
    .option('--string-length <n>', 'length of random BYTES elements', '128')
    .option('--string-data <text>', 'use this string for every BYTES element')
    .option('--concurrency-range <start:end:step>', 'closed loop: outstanding requests (default 1)')
    .option('--request-rate-range <start:end:step>', 'open loop: requests per second')
    .addOption(new Option('--request-distribution <kind>', 'arrivals in request-rate mode').choices(['constant', 'poisson']).default('constant'))
    .option('-p, --measurement-interval <ms>', 'measurement window', '5000')
    .option('-s, --stability-percentage <pct>', 'max spread of 3 consecutive windows', '10')
    .option('-r, --max-trials <n>', 'windows tried per load level before giving up on stability', '10')
    .option('--percentile <p>', 'stabilize on (and summarize with) this latency percentile instead of the average')
    .option('-l, --latency-threshold <ms>', 'stop raising the load once latency exceeds this (0 = none)', '0')
    .addOption(new Option('--shared-memory <kind>', 'pass tensors through shared memory').choices(['none', 'system']).default('none'))
    .option('--output-shared-memory-size <bytes>', 'shared memory bytes reserved per output', '102400')
    .option('--streaming', 'gRPC streaming inference (ModelStreamInfer)')
    .option('-a, --async', 'asynchronous requests (always the case here; kept for perf_analyzer compatibility)')
    .option('--sync', 'accepted for perf_analyzer compatibility; concurrency N is N outstanding requests either way')
    .option('-f, --file <path>', 'write the results as perf_analyzer CSV')
    .option('--verbose-csv', 'add Avg latency, request/response and response wait columns to the CSV')
    .option('-v, --verbose', 'print every measurement window')
    .option('--seed <n>', 'seed of random inputs and Poisson arrivals', '1')
    .option('--workers <n>', 'load generator threads (-i http|grpc), each with its own connection and a share of the load', '1')
    .option('--sweep', 'try instance counts x dynamic batching x concurrency, print the best config.pbtxt (-i http|grpc: server in explicit model control mode)')
    .option('--latency-budget-ms <ms>', 'latency budget of --sweep (p99, or --percentile)')
    .option('--sweep-instance-counts <list>', 'instance counts tried by --sweep', '1,2')
    .option('--sweep-batching <list>', "dynamic batching tried by --sweep: 'off' or queue delays in µs", 'off,0,500')
    .option('--sweep-output <path>', 'also write the best config.pbtxt here')
    .option('--sweep-apply', '-i http|grpc: leave the best config loaded on the server (default: reload the config it had before)');
}

function int(v: string, flag: string, min = 0): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw ServerError.invalidArg(`${flag}: expected an integer >= ${min}, got '${v}'`);
  return n;
}

function positive(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw ServerError.invalidArg(`${flag}: expected a number > 0, got '${v}'`);
  return n;
}

export function toPerfOptions(v: FlagValues): PerfOptions {
  if (v.concurrencyRange !== undefined && v.requestRateRange !== undefined) {
    throw ServerError.invalidArg('--concurrency-range and --request-rate-range cannot be used together');
  }
  const percentile = v.percentile === undefined ? undefined : int(v.percentile, '--percentile', 1);
  if (percentile !== undefined && percentile > 99) throw ServerError.invalidArg('--percentile: expected 1..99');
  return perfOptions({
    modelName: v.modelName,
    modelVersion: v.modelVersion ?? '',
    transport: v.protocol as TransportKind,
    url: v.url ?? '',
    modelRepository: v.modelRepository,
    batchSize: int(v.batchSize, '-b', 1),
    inputData: v.inputData,
    shapes: new Map(v.shape.map(parseShape)),
    stringLength: int(v.stringLength, '--string-length'),
    stringData: v.stringData,
    concurrencyRange: v.concurrencyRange === undefined ? undefined : parseRange(v.concurrencyRange, '--concurrency-range'),
    requestRateRange: v.requestRateRange === undefined ? undefined : parseRange(v.requestRateRange, '--request-rate-range'),
    requestDistribution: v.requestDistribution as 'constant' | 'poisson',
    measurementIntervalMs: positive(v.measurementInterval, '--measurement-interval'),
    stabilityPercentage: positive(v.stabilityPercentage, '--stability-percentage'),
    maxTrials: int(v.maxTrials, '--max-trials', 1),
    percentile,
    latencyThresholdMs: Number(v.latencyThreshold),
    sharedMemory: v.sharedMemory as 'none' | 'system',
    outputSharedMemorySize: int(v.outputSharedMemorySize, '--output-shared-memory-size', 1),
    streaming: v.streaming === true,
    async: v.sync !== true,
    csvFile: v.file,
    verboseCsv: v.verboseCsv === true,
    verbose: v.verbose === true,
    seed: int(v.seed, '--seed'),
    workers: int(v.workers, '--workers', 1),
  });
}

export function toSweepOptions(v: FlagValues): SweepOptions | undefined {
  if (v.sweep !== true) return undefined;
  if (v.latencyBudgetMs === undefined) throw ServerError.invalidArg('--sweep needs --latency-budget-ms');
  return {
    instanceCounts: v.sweepInstanceCounts.split(',').map((c) => int(c.trim(), '--sweep-instance-counts', 1)),
    batching: parseBatchingChoices(v.sweepBatching),
    latencyBudgetMs: positive(v.latencyBudgetMs, '--latency-budget-ms'),
    outputFile: v.sweepOutput,
    apply: v.sweepApply === true,
  };
}
