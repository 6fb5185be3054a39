/** Helm and the rendered chart, for the tests under test/chart. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { REPO_ROOT, loadStackSettings } from '@userforge/devstack';
import { testKube } from '@userforge/testkit';

export const CHART = path.join(REPO_ROOT, 'charts', 'userforge');

/**
 * The chart's values files: the dev and production examples, and every example under ci/ (each is
 * linted, rendered and dry-run). values.yaml alone is not among them: it names no servers, so the
 * chart refuses it (chart.test.ts checks the message).
 */
export const VALUES_FILES = [
  path.join(CHART, 'values-dev.yaml'),
  path.join(CHART, 'values-production.yaml'),
  ...fs
    .readdirSync(path.join(CHART, 'ci'))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => path.join(CHART, 'ci', f)),
];

/**
 * The Helm binary `stack:provision -- --kube` builds (tools/devstack/src/kube/provision.ts, provisionHelm):
 * `<USERFORGE_CACHE_DIR>/helm-v<USERFORGE_HELM_VERSION>/bin/helm`. Missing, the tests fail with how
 * to get it rather than skip.
 */
export function helmBinary(): string {
  const s = loadStackSettings();
  const bin = path.join(s.USERFORGE_CACHE_DIR, `helm-v${s.USERFORGE_HELM_VERSION}`, 'bin', 'helm');
  if (!fs.existsSync(bin)) {
    throw new Error(
      `Helm v${s.USERFORGE_HELM_VERSION} is not built: ${bin} is missing. Build it with ` +
        '`npm run stack:provision -- --kube` (scripts/bootstrap.sh does), then run the chart tests again.',
    );
  }
  return bin;
}

/** External servers as `--set` values: the least the chart renders with (it has no default addresses). */
export const EXTERNAL_SERVERS = ['kafka.brokers={kafka:9092}', 'mongodb.url=mongodb://mongodb:27017/userforge', 'redis.url=redis://redis:6379'];

/** EXTERNAL_SERVERS as helm arguments, for calls of `helm` that do not go through render(). */
export const SERVER_ARGS = EXTERNAL_SERVERS.flatMap((s) => ['--set', s]);

export interface Run {
  code: number;
  out: string;
  err: string;
}

export function helm(args: string[]): Run {
  const r = spawnSync(helmBinary(), args, { encoding: 'utf8', timeout: 120_000, cwd: REPO_ROOT });
  return { code: r.status ?? 1, out: r.stdout ?? '', err: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/** kubectl of the test suite's control plane (test/global-setup.ts), with its admin kubeconfig. */
export function kubectl(args: string[], input?: string): Run {
  const kube = testKube();
  const r = spawnSync(kube.kubectl, ['--kubeconfig', kube.kubeconfig, ...args], { input, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? 1, out: r.stdout ?? '', err: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/** A namespace whose pods must meet the `restricted` Pod Security Standard (and warnings say so for workloads). */
export function createRestrictedNamespace(name: string): string {
  const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'restricted' } } };
  mustOk(kubectl(['apply', '-f', '-'], yaml.dump(ns)), `create namespace ${name}`);
  return name;
}

/**
 * Waits until a CRD is Established. Not `kubectl wait --for=condition=Established`: on a CRD whose
 * status has no conditions yet (just created, or re-created while an earlier delete finishes) it
 * fails at once on the missing list instead of waiting.
 */
export function waitForCrdEstablished(name: string, timeoutMs = 60_000): void {
  const deadline = Date.now() + timeoutMs;
  let last: Run;
  do {
    last = kubectl(['get', 'crd', name, '-o', 'jsonpath={.status.conditions[?(@.type=="Established")].status}']);
    if (last.code === 0 && last.out.trim() === 'True') return;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
  } while (Date.now() < deadline);
  throw new Error(`CRD ${name} not Established after ${timeoutMs} ms: ${last.err || `Established=${last.out || 'no condition yet'}`}`);
}

export function mustOk(r: Run, what: string): string {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}):\n${r.err || r.out}`);
  return r.out;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface RenderOptions {
  release?: string;
  namespace?: string;
  /** A values file; without one, the render is given EXTERNAL_SERVERS first (`set` may override them). */
  valuesFile?: string;
  set?: string[];
  /** Extra API versions the render assumes the cluster serves (`--api-versions`, e.g. `monitoring.coreos.com/v1`). */
  apiVersions?: string[];
}

/** `helm template` of the chart: the manifest as text. */
export function renderText({ release = 'userforge', namespace = 'userforge', valuesFile, set = [], apiVersions = [] }: RenderOptions = {}): string {
  const args = ['template', release, CHART, '--namespace', namespace];
  if (valuesFile) args.push('--values', valuesFile);
  for (const s of [...(valuesFile ? [] : EXTERNAL_SERVERS), ...set]) args.push('--set', s);
  for (const v of apiVersions) args.push('--api-versions', v);
  return mustOk(helm(args), `helm ${args.join(' ')}`);
}

/** `helm template` of the chart: the objects. */
export function render(options: RenderOptions = {}): K8sObject[] {
  return yaml.loadAll(renderText(options)).filter((d): d is K8sObject => !!d && typeof d === 'object');
}

export const find = (objects: K8sObject[], kind: string, name: string): K8sObject => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
};

interface Container {
  name: string;
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string }[];
  [field: string]: unknown;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: Record<string, unknown>;
  volumes?: { name: string; emptyDir?: unknown }[];
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  [field: string]: unknown;
}

/** The pod template of a workload. */
export function podSpec(o: K8sObject): PodSpec {
  return (o as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
}

export const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']);
