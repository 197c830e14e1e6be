/** @inferd/perf: the inferd-perf load generator (issue #8), usable as a library too. */
export * from './options.js';
export { parseRange, rangeValues, parseShape } from './ranges.js';
export { buildInputSets, type InputSet, type PerfTensor, type InputDataOptions } from './input-data.js';
export { modelInfo, type ModelInfo, type TensorInfo } from './model-info.js';
export type { Transport, PreparedRequest } from './transport.js';
export { InProcessTransport } from './inprocess.js';
export { RemoteTransport } from './remote.js';
export { openTransport } from './open-transport.js';
export { ConcurrencyLoad, RequestRateLoad, Recorder, type Load, type Completed } from './load.js';
export { measureLevel, type LevelMeasurement, type MeasureSettings } from './measure.js';
export { summarizeLatencies, REPORTED_PERCENTILES, type LatencySummary } from './latency.js';
export { parseModelStats, diffStats, addStats, type ServerStats } from './server-stats.js';
export { csvHeader, csvText, levelText, summaryText, type LevelResult, type CsvSettings, type LoadMode } from './report.js';
export { runPerf, type PerfIo, type PerfRun } from './run.js';
export { runSweep, candidateConfig, parseBatchingChoices, type SweepOptions, type SweepResult, type SweepPoint, type BatchingChoice } from './sweep.js';
export { addPerfFlags, toPerfOptions, toSweepOptions } from './cli-options.js';
