/**
 * Where `--sweep` puts a candidate config in force: a temporary in-process repository per candidate
 * (`-i inprocess`, sweep-inprocess.ts) or a reload with a `config` override on a live server in
 * explicit model control mode (`-i http|grpc`, sweep-remote.ts). The sweep itself only compares.
 */
import type { ModelConfig } from 'inferd';
import type { LevelResult } from './report.js';

export interface SweepTarget {
  /** The config the candidates start from (instance_group and dynamic_batching get replaced). */
  readonly base: ModelConfig;
  /** Puts `config` in force and measures every load level of the range with it. */
  measure(config: ModelConfig): Promise<readonly LevelResult[]>;
  /**
   * The sweep is over: `best` is the winner, or undefined when nothing fit the budget or the sweep
   * failed. Returns a line for the report saying what is left loaded (or undefined: nothing to say).
   */
  finish(best: ModelConfig | undefined): Promise<string | undefined>;
  close(): Promise<void>;
}
