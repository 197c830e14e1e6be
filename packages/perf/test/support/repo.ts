/** A temporary repository holding only the named example models (symlinked), so tests load just those. */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
export const examples = join(repoRoot, 'examples', 'models');

export function exampleRepo(models: readonly string[]): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-perf-test-'));
  for (const m of models) symlinkSync(join(examples, m), join(dir, m));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** perf_analyzer's CSV header with server stats and no cache (ReportWriter::GenerateReport). */
export const PERF_ANALYZER_HEADER =
  'Concurrency,Inferences/Second,Client Send,Network+Server Send/Recv,Server Queue,Server Compute Input,' +
  'Server Compute Infer,Server Compute Output,Client Recv,p50 latency,p90 latency,p95 latency,p99 latency';
