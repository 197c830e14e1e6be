/** `--metrics-config` parsing, the CLI flags that feed it, and the /proc parsers of the CPU gauges. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { DEFAULT_METRICS_CONFIG, parseMetricsConfig, type MetricsConfig } from '../../src/observability/metrics-config.js';
import { parseMeminfo, parseProcStat } from '../../src/observability/metrics-system.js';
import { addServeFlags, toServeSettings } from '../../src/cli/options.js';

test('metrics-config: defaults, tritonserver keys, inferd keys, errors', () => {
  assert.deepEqual(parseMetricsConfig([]), DEFAULT_METRICS_CONFIG);
  const c = parseMetricsConfig([
    'counter_latencies=false', 'histogram_latencies=true', 'summary_latencies=on',
    'summary_quantiles="0.5:0.05,0.99:0.001"', 'summary_max_age_secs=30', 'summary_age_buckets=3', 'histogram_buckets=50,10,1000',
  ]);
  assert.equal(c.counterLatencies, false);
  assert.equal(c.histogramLatencies, true);
  assert.equal(c.summaryLatencies, true);
  assert.deepEqual(c.summaryQuantiles, [{ quantile: 0.5, error: 0.05 }, { quantile: 0.99, error: 0.001 }]);
  assert.equal(c.summaryMaxAgeSecs, 30);
  assert.equal(c.summaryAgeBuckets, 3);
  assert.deepEqual(c.histogramBuckets, [10, 50, 1000]);
  assert.throws(() => parseMetricsConfig(['nope=1']), /invalid --metrics-config 'nope=1': unknown key 'nope'/);
  assert.throws(() => parseMetricsConfig(['counter_latencies']), /expected <key>=<value>/);
  assert.throws(() => parseMetricsConfig(['summary_latencies=maybe']), /expected true or false/);
  assert.throws(() => parseMetricsConfig(['summary_quantiles=0.5']), /<quantile>:<error>/);
  assert.throws(() => parseMetricsConfig(['summary_quantiles=1.5:0.1']), /<quantile>:<error>/);
});

function settings(args: string[]) {
  const cmd = addServeFlags(new Command('serve').exitOverride());
  cmd.parse(['--model-repository', '/m', ...args], { from: 'user' });
  return toServeSettings(cmd.opts());
}

/** The metrics part of createInferenceServer's options, as the flags set it. */
const metricsOf = (s: ReturnType<typeof settings>) => s.server.metrics as { config: MetricsConfig; intervalMs: number; cpuMetrics: boolean };

test('metrics flags: defaults as tritonserver, metrics address follows the HTTP address, no longer ignored', () => {
  const d = settings([]);
  assert.ok(d.server.metrics !== false && d.metrics !== undefined);
  assert.equal(d.metrics?.port, 8002);
  assert.equal(d.metrics?.address, '0.0.0.0');
  assert.equal(metricsOf(d).intervalMs, 2000);
  assert.equal(metricsOf(d).cpuMetrics, true);
  assert.deepEqual(metricsOf(d).config, DEFAULT_METRICS_CONFIG);
  const s = settings(['--http-address', '127.0.0.1', '--metrics-interval-ms', '500', '--allow-cpu-metrics=false',
    '--metrics-config', 'summary_latencies=true', '--metrics-config', 'counter_latencies=false']);
  assert.equal(s.metrics?.address, '127.0.0.1');
  assert.equal(metricsOf(s).intervalMs, 500);
  assert.equal(metricsOf(s).cpuMetrics, false);
  assert.equal(metricsOf(s).config.summaryLatencies, true);
  assert.equal(metricsOf(s).config.counterLatencies, false);
  assert.deepEqual(s.acceptedButIgnored, []);
  assert.equal(settings(['--metrics-address', '10.0.0.1']).metrics?.address, '10.0.0.1');
  assert.throws(() => settings(['--metrics-config', 'bogus=1']), /unknown key 'bogus'/);
  assert.throws(() => settings(['--metrics-interval-ms', '0']), /--metrics-interval-ms/);
});

test('/proc parsers: busy and idle CPU times, MemTotal and MemTotal - MemAvailable in bytes', () => {
  const stat = 'cpu  100 5 50 800 40 3 2 0 0 0\ncpu0 50 2 25 400 20 1 1 0 0 0\n';
  assert.deepEqual(parseProcStat(stat), { busy: 160, idle: 840 });
  assert.equal(parseProcStat('intr 1 2 3\n'), undefined);
  const meminfo = 'MemTotal:        1000 kB\nMemFree:          200 kB\nMemAvailable:     600 kB\n';
  assert.deepEqual(parseMeminfo(meminfo), { total: 1000 * 1024, used: 400 * 1024 });
  assert.equal(parseMeminfo('MemTotal: 1 kB\n'), undefined);
});
