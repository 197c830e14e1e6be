/** Runs the real `inferd` CLI (from sources, through tsx) as a child process for end-to-end tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const mainTs = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface CliRun {
  child: ChildProcess;
  /** Everything written to stderr so far. */
  stderr(): string;
  exited: Promise<number | null>;
}

export interface CliOptions {
  /** Variables added to the environment (e.g. INFERD_PYTHON). */
  readonly env?: Readonly<Record<string, string>>;
  /** What runs `inferd` (default: the sources through tsx), e.g. `['npx', '--no-install', 'inferd']` of an install. */
  readonly command?: readonly string[];
  /** Working directory (default: the repository root). */
  readonly cwd?: string;
}

export function runCli(args: readonly string[], options: CliOptions = {}): CliRun {
  const [file, ...launcher] = options.command ?? [process.execPath, '--import', 'tsx', mainTs];
  const child = spawn(file!, [...launcher, ...args], {
    cwd: options.cwd ?? repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stderr: () => err, exited };
}

/**
 * Starts `inferd serve` on ephemeral HTTP, gRPC and metrics ports and resolves with the HTTP base URL
 * and the gRPC port once both are up, plus the metrics URL (`…/metrics`) unless metrics are off (the
 * metrics listener starts before the other two).
 */
export async function startServe(
  args: readonly string[], options: CliOptions = {},
): Promise<CliRun & { url: string; grpcPort: number; metricsUrl?: string }> {
  const run = runCli([
    'serve', '--http-port', '0', '--http-address', '127.0.0.1', '--grpc-port', '0', '--grpc-address', '127.0.0.1',
    '--metrics-port', '0', '--metrics-address', '127.0.0.1', ...args,
  ], options);
  const found = await new Promise<{ url: string; grpcPort: number; metricsUrl?: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${run.stderr()}`)), 60_000);
    const check = (): void => {
      const m = /Started HTTPService at ([\d.]+):(\d+)/.exec(run.stderr());
      const g = /Started GRPCInferenceService at [\d.]+:(\d+)/.exec(run.stderr());
      if (m && g) {
        clearTimeout(timer);
        const metrics = /Started Metrics Service at ([\d.]+):(\d+)/.exec(run.stderr());
        resolve({
          url: `http://${m[1]}:${m[2]}`, grpcPort: Number(g[1]),
          ...(metrics === null ? {} : { metricsUrl: `http://${metrics[1]}:${metrics[2]}/metrics` }),
        });
      }
    };
    run.child.stderr!.on('data', check);
    run.exited.then((code) => reject(new Error(`server exited with ${code}:\n${run.stderr()}`)), () => {});
  });
  return { ...run, ...found };
}
