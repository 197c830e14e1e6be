// Writes the batching bench's repository and prints its path. Run by bench/batching/run.mjs through tsx.
// argv: <max_batch_size> <instance count> <max_queue_delay_microseconds>
import { mlpBenchRepo } from '../lib/mlp-repo.js';

const [maxBatch, instances, delayUs] = process.argv.slice(2).map(Number) as [number, number, number];
const group = `instance_group [{ count: ${instances} kind: KIND_CPU }]`;
const dir = mlpBenchRepo({
  mlp_off: group,
  mlp_on: `${group}\ndynamic_batching { max_queue_delay_microseconds: ${delayUs} }`,
}, maxBatch);
process.stdout.write(`${dir}\n`);
