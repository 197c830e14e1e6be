/**
 * A stand-in nvidia-smi for machines without GPUs: a real executable script that prints the CSV of
 * `rows` (nvidia-smi's `csv,noheader,nounits` for the fields inferd asks for) and fails, as nvidia-smi
 * does on an unknown field, when the query is not the one inferd sends. `write()` changes the figures
 * between calls (the metrics tests move power and memory).
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NVIDIA_SMI_FIELDS } from '../../src/devices/gpus.js';

export interface FakeGpu {
  index: number;
  uuid: string;
  name?: string;
  computeCap?: string;
  memoryTotalMiB?: number;
  memoryUsedMiB?: number;
  utilizationPct?: number;
  powerW?: number | string;
  powerLimitW?: number;
}

export interface FakeNvidiaSmi {
  /** The executable to hand to inferd (option `gpu.nvidiaSmi` or env INFERD_NVIDIA_SMI). */
  readonly path: string;
  write(gpus: readonly FakeGpu[]): void;
  cleanup(): void;
}

export function fakeNvidiaSmi(gpus: readonly FakeGpu[]): FakeNvidiaSmi {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-fake-smi-'));
  const csv = join(dir, 'gpus.csv');
  const path = join(dir, 'nvidia-smi');
  writeFileSync(path, [
    '#!/bin/sh',
    `[ "$1" = "--query-gpu=${NVIDIA_SMI_FIELDS.join(',')}" ] && [ "$2" = "--format=csv,noheader,nounits" ] || { echo "bad query: $*" >&2; exit 2; }`,
    `exec cat '${csv}'`,
    '',
  ].join('\n'));
  chmodSync(path, 0o755);
  const write = (list: readonly FakeGpu[]): void => writeFileSync(csv, list.map((g) => [
    g.index, g.uuid, g.name ?? 'NVIDIA H200', g.computeCap ?? '9.0', g.memoryTotalMiB ?? 143771, g.memoryUsedMiB ?? 0,
    g.utilizationPct ?? 0, g.powerW ?? 75.5, g.powerLimitW ?? 700,
  ].join(', ')).join('\n') + '\n');
  write(gpus);
  return { path, write, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
