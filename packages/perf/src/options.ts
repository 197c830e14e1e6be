/** Everything one inferd-perf run is told (CLI flags map 1:1 onto this; names follow perf_analyzer's). */

export type TransportKind = 'inprocess' | 'http' | 'grpc';
export type RequestDistribution = 'constant' | 'poisson';

/** `--concurrency-range` or `--request-rate-range`: start, end, step (perf_analyzer's `start:end:step`). */
export interface LoadRange {
  readonly start: number;
  readonly end: number;
  readonly step: number;
}

export interface PerfOptions {
  readonly modelName: string;
  /** `-x`; empty = latest. */
  readonly modelVersion: string;
  readonly transport: TransportKind;
  /** `-u host:port` for http/grpc. */
  readonly url: string;
  /** `--model-repository` for inprocess. */
  readonly modelRepository: readonly string[];
  readonly batchSize: number;
  /** `random`, `zero` or a perf_analyzer JSON data file. */
  readonly inputData: string;
  /** `--shape name:d1,d2` (dims without the batch dimension). */
  readonly shapes: ReadonlyMap<string, readonly number[]>;
  /** Length of random BYTES elements (`--string-length`, perf_analyzer default 128). */
  readonly stringLength: number;
  /** `--string-data`: every BYTES element is this string. */
  readonly stringData: string | undefined;
  /** Exactly one of the two load modes is set. */
  readonly concurrencyRange: LoadRange | undefined;
  readonly requestRateRange: LoadRange | undefined;
  readonly requestDistribution: RequestDistribution;
  /** `--measurement-interval` / `-p`, ms. */
  readonly measurementIntervalMs: number;
  /** `--stability-percentage` (default 10). */
  readonly stabilityPercentage: number;
  /** `--max-trials` (default 10). */
  readonly maxTrials: number;
  /** `--percentile`: stabilize on this latency percentile instead of the average. */
  readonly percentile: number | undefined;
  /** `-l/--latency-threshold` ms: stop raising the load once exceeded (0 = none). */
  readonly latencyThresholdMs: number;
  /** `--shared-memory none|system`. */
  readonly sharedMemory: 'none' | 'system';
  /** `--output-shared-memory-size` bytes per output (default 100 KiB, as perf_analyzer). */
  readonly outputSharedMemorySize: number;
  readonly streaming: boolean;
  /** Kept for perf_analyzer compatibility: every mode here is asynchronous (concurrency = outstanding requests). */
  readonly async: boolean;
  /** `-f` CSV path. */
  readonly csvFile: string | undefined;
  readonly verboseCsv: boolean;
  /** `-v`: print every measurement window, as perf_analyzer's verbose mode. */
  readonly verbose: boolean;
  /** Seed for random input data (deterministic inputs across runs). */
  readonly seed: number;
  /** `--workers`: load generator threads (http/grpc), each with its own connection and share of the load. */
  readonly workers: number;
}

export const DEFAULT_OPTIONS: Omit<PerfOptions, 'modelName'> = {
  modelVersion: '',
  transport: 'http',
  url: '',
  modelRepository: [],
  batchSize: 1,
  inputData: 'random',
  shapes: new Map(),
  stringLength: 128,
  stringData: undefined,
  concurrencyRange: undefined,
  requestRateRange: undefined,
  requestDistribution: 'constant',
  measurementIntervalMs: 5000,
  stabilityPercentage: 10,
  maxTrials: 10,
  percentile: undefined,
  latencyThresholdMs: 0,
  sharedMemory: 'none',
  outputSharedMemorySize: 102_400,
  streaming: false,
  async: true,
  csvFile: undefined,
  verboseCsv: false,
  verbose: false,
  seed: 1,
  workers: 1,
};

/** Default host:port per transport, as perf_analyzer. */
export function defaultUrl(kind: TransportKind): string {
  return kind === 'grpc' ? 'localhost:8001' : 'localhost:8000';
}

/** Options with defaults filled in; at least `modelName` is required. */
export function perfOptions(partial: Partial<PerfOptions> & { modelName: string }): PerfOptions {
  const merged: PerfOptions = { ...DEFAULT_OPTIONS, ...partial };
  const withLoad: PerfOptions =
    merged.concurrencyRange === undefined && merged.requestRateRange === undefined
      ? { ...merged, concurrencyRange: { start: 1, end: 1, step: 1 } }
      : merged;
  return withLoad.url === '' && withLoad.transport !== 'inprocess' ? { ...withLoad, url: defaultUrl(withLoad.transport) } : withLoad;
}
