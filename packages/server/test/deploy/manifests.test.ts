/**
 * deploy/ (issue 17, items 2, 3, 5): every kustomization renders with `kubectl kustomize`, and every object
 * it yields validates against the Kubernetes OpenAPI schemas that kubernetes-models carries (Prometheus
 * Operator's CRDs from @kubernetes-models/prometheus-operator). KServe's CRDs are in no npm package:
 * those objects get a hand check of their required fields, said so below. The servers' command lines
 * in the manifests are parsed by inferd's own CLI code (the `tritonserver` rewrite and serve's flags),
 * so a manifest cannot pass a flag inferd would refuse.
 *
 * Without kubectl (CI's Debian has no package for it) the rendering is skipped with that reason and the
 * raw resource files are validated instead (overlay patches then go unchecked).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Command } from 'commander';
import { repoRoot } from '../support/spawn-cli.js';
import { rewriteTritonArgs } from '../../src/cli/triton-argv.js';
import { addServeFlags, toServeSettings } from '../../src/cli/options.js';
import type { MetricsConfig } from '../../src/observability/metrics-config.js';

type Obj = { apiVersion: string; kind: string; metadata: { name: string }; spec?: any; [k: string]: unknown };

const deployDir = join(repoRoot, 'deploy');
/** INFERD_TEST_KUBECTL names another kubectl (a missing name shows what CI without kubectl runs). */
const kubectl = process.env.INFERD_TEST_KUBECTL ?? 'kubectl';
const hasKubectl = spawnSync(kubectl, ['version', '--client'], { stdio: 'ignore' }).status === 0;

function kustomizations(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...kustomizations(full));
    else if (name === 'kustomization.yaml') out.push(dir);
  }
  return out.sort();
}

function parseYaml(text: string): Obj[] {
  return parseAllDocuments(text).map((d) => d.toJS() as Obj).filter((o) => o !== null);
}

/** The objects of one kustomization: rendered by kubectl, or (no kubectl) its raw resource files. */
function objectsOf(dir: string): Obj[] {
  if (hasKubectl) {
    const r = spawnSync(kubectl, ['kustomize', dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, `kubectl kustomize ${relative(repoRoot, dir)}: ${r.stderr}`);
    return parseYaml(r.stdout);
  }
  const k = parseYaml(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'))[0] as unknown as { resources?: string[] };
  // Raw mode: the union of the resource files, folders followed; patches and generators are not applied.
  return (k.resources ?? []).flatMap((r) => (r.endsWith('.yaml') ? parseYaml(readFileSync(join(dir, r), 'utf8')) : objectsOf(join(dir, r))));
}

/** The kubernetes-models class of an object, by apiVersion and kind; undefined where no package has it. */
async function modelClass(o: Obj): Promise<(new (data: unknown) => { validate(): void }) | undefined> {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  const module = group === 'monitoring.coreos.com'
    ? `@kubernetes-models/prometheus-operator/${group}/${version}/${o.kind}`
    : group === 'serving.kserve.io' ? undefined
      : `kubernetes-models/${group === '' ? '' : `${group}/`}${version}/${o.kind}`;
  if (module === undefined) return undefined;
  return ((await import(module)) as Record<string, new (data: unknown) => { validate(): void }>)[o.kind];
}

/** Hand check of KServe's ServingRuntime / ClusterServingRuntime / InferenceService required fields. */
function checkKserve(o: Obj): void {
  const where = `${o.kind}/${o.metadata.name}`;
  if (o.kind === 'ClusterServingRuntime' || o.kind === 'ServingRuntime') {
    assert.equal(o.apiVersion, 'serving.kserve.io/v1alpha1', where);
    assert.ok(Array.isArray(o.spec.containers) && o.spec.containers.length > 0, `${where}: spec.containers`);
    for (const c of o.spec.containers) assert.ok(typeof c.name === 'string' && typeof c.image === 'string', `${where}: container name/image`);
    for (const f of o.spec.supportedModelFormats) assert.equal(typeof f.name, 'string', `${where}: supportedModelFormats[].name`);
    for (const p of o.spec.protocolVersions) assert.ok(['v1', 'v2', 'grpc-v1', 'grpc-v2'].includes(p), `${where}: protocol ${p}`);
  } else if (o.kind === 'InferenceService') {
    assert.equal(o.apiVersion, 'serving.kserve.io/v1beta1', where);
    assert.equal(typeof o.spec.predictor.model.modelFormat.name, 'string', `${where}: predictor.model.modelFormat.name`);
    assert.equal(typeof o.spec.predictor.model.storageUri, 'string', `${where}: storageUri`);
  } else {
    assert.fail(`${where}: no check for this KServe kind`);
  }
}

/** The container's command line as inferd's CLI parses it; throws on a flag inferd refuses. */
function parseServerArgs(c: { command?: string[]; args?: string[] }): ReturnType<typeof toServeSettings> | undefined {
  const line = [...(c.command ?? []), ...(c.args ?? [])];
  if (line[0] !== 'tritonserver') return undefined;
  const { args, warnings } = rewriteTritonArgs(line.slice(1));
  assert.deepEqual(warnings, [], `flags inferd ignores: ${warnings.join('; ')}`);
  const cmd = addServeFlags(new Command().exitOverride());
  cmd.parse(args, { from: 'user' });
  return toServeSettings(cmd.opts());
}

const rendered = new Map<string, Obj[]>();
for (const dir of kustomizations(deployDir)) rendered.set(relative(deployDir, dir), objectsOf(dir));

test('every kustomization under deploy/ renders, and every object validates against its schema', async (t) => {
  assert.deepEqual([...rendered.keys()], [
    'kserve', 'kubernetes/base', 'kubernetes/overlays/k3s-arm', 'kubernetes/overlays/pvc-models',
    'kubernetes/overlays/podmonitor', 'kubernetes/prometheus-adapter',
  ].sort());
  if (!hasKubectl) t.diagnostic('kubectl is not installed: raw resource files validated, overlays not rendered');
  for (const [dir, objects] of rendered) {
    assert.ok(objects.length > 0 || !hasKubectl, dir);
    for (const o of objects) {
      const Model = await modelClass(o);
      if (Model === undefined) checkKserve(o);
      else assert.doesNotThrow(() => new Model(o).validate(), `${dir}: ${o.kind}/${o.metadata.name}`);
    }
  }
});

test('the schema check is not vacuous: a Deployment with a port given as text is refused', async () => {
  const d = structuredClone(rendered.get('kubernetes/base')!.find((o) => o.kind === 'Deployment')!);
  d.spec.template.spec.containers[0].ports[0].containerPort = 'eight thousand';
  const Model = (await modelClass(d))!;
  assert.throws(() => new Model(d).validate(), /containerPort must be integer/);
});

const find = (dir: string, kind: string): Obj => {
  const o = rendered.get(dir)!.find((x) => x.kind === kind);
  assert.ok(o, `${dir}: no ${kind}`);
  return o;
};

test('base: probes on /v2/health/*, ports 8000/8001/8002, runAsUser 1000, args inferd accepts, drain fits the grace period', () => {
  const d = find('kubernetes/base', 'Deployment');
  const pod = d.spec.template.spec;
  const c = pod.containers[0];
  assert.equal(c.livenessProbe.httpGet.path, '/v2/health/live');
  assert.equal(c.readinessProbe.httpGet.path, '/v2/health/ready');
  assert.equal(c.startupProbe.httpGet.path, '/v2/health/ready');
  assert.deepEqual(c.ports.map((p: { containerPort: number }) => p.containerPort), [8000, 8001, 8002]);
  assert.equal(pod.securityContext.runAsUser, 1000);
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.ok(c.resources.requests.cpu && c.resources.requests.memory);
  assert.deepEqual(pod.volumes.find((v: { name: string }) => v.name === 'models'), { name: 'models', emptyDir: {} });
  assert.equal(pod.initContainers[0].volumeMounts[0].name, 'models');
  const s = parseServerArgs(c)!;
  assert.deepEqual(s.server.modelRepository, ['/models']);
  assert.deepEqual([s.http?.port, s.grpc?.port, s.metrics?.port], [8000, 8001, 8002]);
  assert.ok(s.drainDelaySecs > 0);
  assert.ok(pod.terminationGracePeriodSeconds > s.drainDelaySecs + s.exitTimeoutSecs, 'SIGKILL must not cut the drain short');
  assert.equal((s.server.metrics as { config: MetricsConfig }).config.summaryLatencies, true);
  const svc = find('kubernetes/base', 'Service');
  assert.deepEqual(svc.spec.ports.map((p: { name: string; port: number }) => [p.name, p.port]), [['http', 8000], ['grpc', 8001], ['metrics', 8002]]);
  assert.equal(find('kubernetes/base', 'ServiceMonitor').spec.endpoints[0].port, 'metrics');
  assert.equal(find('kubernetes/base', 'PodDisruptionBudget').spec.maxUnavailable, 1);
});

test('HPA scales on the metric the prometheus-adapter rule serves, computed from queue duration and successes', () => {
  const hpa = find('kubernetes/base', 'HorizontalPodAutoscaler');
  assert.equal(hpa.apiVersion, 'autoscaling/v2');
  const metric = hpa.spec.metrics[0];
  const adapterFile = readFileSync(join(deployDir, 'kubernetes/prometheus-adapter/config.yaml'), 'utf8');
  if (hasKubectl) assert.equal((find('kubernetes/prometheus-adapter', 'ConfigMap') as any).data['config.yaml'], adapterFile);
  const rules = parseYaml(adapterFile)[0] as any;
  const rule = rules.rules[0];
  assert.equal(rule.name.as, metric.pods.metric.name);
  assert.match(rule.metricsQuery, /rate\(nv_inference_queue_duration_us\{<<\.LabelMatchers>>\}\[1m\]\)[\s\S]*\/[\s\S]*rate\(nv_inference_request_success\{<<\.LabelMatchers>>\}/);
  // The Helm values carry the same rule.
  const values = parseYaml(readFileSync(join(deployDir, 'kubernetes/prometheus-adapter/values.yaml'), 'utf8'))[0] as any;
  assert.deepEqual(values.rules.custom, rules.rules);
});

test('overlays: PVC models without the init container; k3s on arm64 with local-path; PodMonitor replaces ServiceMonitor', { skip: hasKubectl ? false : 'kubectl not on PATH: overlay patches are not rendered' }, () => {
  const pvc = find('kubernetes/overlays/pvc-models', 'Deployment').spec.template.spec;
  assert.equal(pvc.initContainers, undefined);
  assert.equal(pvc.volumes[0].persistentVolumeClaim.claimName, 'inferd-models');
  const arm = find('kubernetes/overlays/k3s-arm', 'Deployment').spec.template.spec;
  assert.deepEqual(arm.nodeSelector, { 'kubernetes.io/arch': 'arm64' });
  assert.equal(find('kubernetes/overlays/k3s-arm', 'PersistentVolumeClaim').spec.storageClassName, 'local-path');
  const kinds = rendered.get('kubernetes/overlays/podmonitor')!.map((o) => o.kind);
  assert.ok(kinds.includes('PodMonitor') && !kinds.includes('ServiceMonitor'));
});

test("KServe: kserve-inferd with v2/grpc-v2 and onnx/pytorch/python/triton; ModelMesh's flags; both command lines parse", () => {
  const rt = find('kserve', 'ClusterServingRuntime');
  assert.equal(rt.metadata.name, 'kserve-inferd');
  assert.deepEqual(rt.spec.protocolVersions, ['v2', 'grpc-v2']);
  assert.deepEqual(rt.spec.supportedModelFormats.map((f: { name: string }) => f.name), ['onnx', 'pytorch', 'python', 'triton']);
  const s = parseServerArgs(rt.spec.containers[0])!;
  assert.deepEqual([s.server.modelRepository, s.http?.port, s.grpc?.port], [['/mnt/models'], 8080, 9000]);
  const mm = find('kserve', 'ServingRuntime');
  const m = parseServerArgs(mm.spec.containers[0])!;
  assert.equal(m.server.modelControlMode, 'explicit');
  assert.equal(m.server.strictReadiness, false);
  assert.equal(find('kserve', 'InferenceService').spec.predictor.model.runtime, 'kserve-inferd');
});

test('Grafana dashboard: every nv_* family it queries is one inferd exports', () => {
  const dash = JSON.parse(readFileSync(join(deployDir, 'grafana/inferd-dashboard.json'), 'utf8'));
  const exprs: string[] = dash.panels.flatMap((p: { targets: { expr: string }[] }) => p.targets.map((t) => t.expr));
  const used = new Set(exprs.flatMap((e) => e.match(/nv_[a-z_]+/g) ?? []));
  const src = join(dirname(new URL(import.meta.url).pathname), '../../src/observability');
  const families = readdirSync(src).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(join(src, f), 'utf8')).join('\n');
  for (const name of used) {
    if (name.startsWith('nv_gpu_')) continue; // GPU families: only where a GPU is present (not inferd on the CPU).
    assert.ok(families.includes(`'${name}'`), `${name} is not an inferd metric`);
  }
  for (const needed of ['nv_inference_count', 'nv_inference_request_summary_us', 'nv_inference_queue_duration_us', 'nv_cache_num_hits_per_model', 'nv_inference_request_failure', 'nv_cpu_utilization']) {
    assert.ok(used.has(needed), needed);
  }
});
