/**
 * Installs the Prometheus Operator and one Prometheus it manages into a cluster (kind here), from
 * the images and manifests provision.ts makes: the operator's CRDs (server-side
 * apply: they are too big for the last-applied annotation), upstream's RBAC and Deployment with the
 * local images, and a Prometheus resource that selects, in every namespace, the ServiceMonitors,
 * PodMonitors and PrometheusRules labelled MONITORING_SELECTOR.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { installedKubernetes } from '../kube/provision';
import { ProvisionError } from '../prerequisites';
import { loadStackSettings, type StackSettings } from '../stack/settings';
import { provisionMonitoring, type MonitoringArtefacts } from './provision';
import { portForward } from '../kube/port-forward';

export const MONITORING_NAMESPACE = 'monitoring';
/** The Prometheus resource; the operator names its StatefulSet `prometheus-<name>` and its Service `prometheus-operated`. */
export const PROMETHEUS_NAME = 'userforge-monitoring';
/** The label a ServiceMonitor, PodMonitor or PrometheusRule (in any namespace) needs for this Prometheus to load it. */
export const MONITORING_SELECTOR = { release: 'userforge-monitoring' } as const;
/** Labels the operator puts on the Prometheus pods: what a NetworkPolicy admits as the scraper (from namespace MONITORING_NAMESPACE). */
export const PROMETHEUS_POD_LABELS = { 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/instance': PROMETHEUS_NAME } as const;

export interface InstallMonitoringOptions {
  /** Puts the docker-archives into the cluster's nodes (kind: `kind load image-archive`). */
  loadImages(archives: string[]): void | Promise<void>;
  settings?: StackSettings;
  /** kubectl; default: the one built into the cache. */
  kubectl?: string;
  log?: (m: string) => void;
  /** How long the operator and Prometheus may take to become ready. */
  timeoutMs?: number;
}

export interface MonitoringInstall {
  namespace: string;
  prometheus: string;
  selector: Record<string, string>;
  artefacts: MonitoringArtefacts;
}

export interface Kubectl {
  (args: string[], input?: string): string;
  /** The exit status and output, for calls whose failure is an answer. */
  try(args: string[], input?: string): { code: number; out: string; err: string };
}

export function kubectlFor(kubeconfig: string, kubectl?: string, settings = loadStackSettings()): Kubectl {
  const bin = kubectl ?? installedKubernetes(settings)?.bin('kubectl');
  if (!bin) throw new ProvisionError('kubectl is not built: run `npm run stack:provision -- --kube` (it builds Kubernetes into the cache)');
  const attempt = (args: string[], input?: string) => {
    const r = spawnSync(bin, ['--kubeconfig', kubeconfig, ...args], { input, encoding: 'utf8', timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
    return { code: r.status ?? 1, out: r.stdout ?? '', err: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
  };
  const run = ((args: string[], input?: string) => {
    const r = attempt(args, input);
    if (r.code !== 0) throw new ProvisionError(`kubectl ${args.join(' ')} failed (${r.code}): ${(r.err || r.out).trim()}`);
    return r.out;
  }) as Kubectl;
  run.try = attempt;
  return run;
}

type Manifest = { kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [key: string]: unknown };

const readManifests = (dir: string): Manifest[] =>
  fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) => yaml.loadAll(fs.readFileSync(path.join(dir, f), 'utf8')) as Manifest[])
    .filter(Boolean);

/**
 * Upstream's operator manifests, moved into `namespace` and pointed at the local images. Its own
 * ServiceMonitor is left out: it scrapes over TLS that this install does not set up.
 */
export function operatorObjects(a: MonitoringArtefacts, namespace: string): Manifest[] {
  return readManifests(a.operatorManifests)
    .filter((o) => o.kind !== 'ServiceMonitor')
    .map((o) => {
      const copy = structuredClone(o) as Manifest & {
        subjects?: { namespace?: string }[];
        spec?: { template: { spec: { containers: { image: string; args?: string[] }[] } } };
      };
      if (copy.kind !== 'ClusterRole' && copy.kind !== 'ClusterRoleBinding') copy.metadata.namespace = namespace;
      for (const s of copy.subjects ?? []) s.namespace = namespace;
      for (const c of copy.kind === 'Deployment' ? copy.spec!.template.spec.containers : []) {
        c.image = a.images.operator.ref;
        c.args = (c.args ?? []).map((arg) => (arg.startsWith('--prometheus-config-reloader=') ? `--prometheus-config-reloader=${a.images.reloader.ref}` : arg));
      }
      return copy;
    });
}

/** The Prometheus server's identity: upstream's ClusterRole, a ServiceAccount and their binding. */
function prometheusRbac(a: MonitoringArtefacts, namespace: string): Manifest[] {
  const role = readManifests(a.prometheusManifests).find((o) => o.kind === 'ClusterRole');
  if (!role) throw new ProvisionError(`${a.prometheusManifests} has no ClusterRole`);
  const name = `${PROMETHEUS_NAME}-prometheus`;
  return [
    { ...role, metadata: { name } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    },
  ];
}

/**
 * The Prometheus resource: one replica on an emptyDir, the restricted Pod Security profile, and a
 * 5 s scrape and evaluation interval so that alerts fire and resolve within seconds in tests.
 */
export function prometheusObject(a: MonitoringArtefacts, namespace: string): Manifest {
  const selector = { matchLabels: { ...MONITORING_SELECTOR } };
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'Prometheus',
    metadata: { name: PROMETHEUS_NAME, namespace },
    spec: {
      version: a.prometheusVersion,
      image: a.images.prometheus.ref,
      replicas: 1,
      serviceAccountName: `${PROMETHEUS_NAME}-prometheus`,
      // `{}` is every namespace; the label selects the objects themselves.
      serviceMonitorSelector: selector,
      serviceMonitorNamespaceSelector: {},
      podMonitorSelector: selector,
      podMonitorNamespaceSelector: {},
      ruleSelector: selector,
      ruleNamespaceSelector: {},
      scrapeInterval: '5s',
      evaluationInterval: '5s',
      retention: '6h',
      storage: { emptyDir: {} },
      resources: { requests: { cpu: '50m', memory: '200Mi' } },
      securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' } },
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A local port forwarded to Prometheus' Service, on the loopback interface only. */
export interface PrometheusForward {
  url: string;
  close(): void;
}

/** `kubectl port-forward` to the Prometheus Service on a free loopback port (kubectl picks it). */
export async function forwardPrometheus(kubeconfig: string, options: { kubectl?: string; namespace?: string; settings?: StackSettings } = {}): Promise<PrometheusForward> {
  const bin = options.kubectl ?? installedKubernetes(options.settings ?? loadStackSettings())?.bin('kubectl');
  if (!bin) throw new ProvisionError('kubectl is not built: run `npm run stack:provision -- --kube`');
  return portForward(bin, kubeconfig, options.namespace ?? MONITORING_NAMESPACE, 'svc/prometheus-operated', 9090);
}

async function waitFor<T>(what: string, timeoutMs: number, read: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await read();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new ProvisionError(`${what}: not within ${timeoutMs / 1000} s${last ? ` (${String(last)})` : ''}`);
    await sleep(2_000);
  }
}

/**
 * Builds what is missing (provisionMonitoring), loads the images, installs the operator into
 * `monitoring` and a Prometheus it manages, and returns once that Prometheus answers `/-/ready`.
 * Idempotent: a second call re-applies the same objects.
 */
export async function installMonitoring(kubeconfig: string, options: InstallMonitoringOptions): Promise<MonitoringInstall> {
  const s = options.settings ?? loadStackSettings();
  const log = options.log ?? (() => undefined);
  const timeoutMs = options.timeoutMs ?? 300_000;
  const namespace = MONITORING_NAMESPACE;
  const a = provisionMonitoring(s, log);
  const kubectl = kubectlFor(kubeconfig, options.kubectl, s);
  const started = Date.now();

  log('loading the operator, config reloader and Prometheus images into the cluster');
  await options.loadImages([a.images.operator.archive, a.images.reloader.archive, a.images.prometheus.archive]);

  log(`applying the monitoring.coreos.com CRDs of the operator ${a.operatorVersion}`);
  kubectl(['apply', '--server-side', '--force-conflicts', '-f', a.crds]);
  kubectl(['wait', '--for=condition=Established', '--timeout=120s', '-f', a.crds]);

  // The namespace enforces the restricted Pod Security Standard: the operator and Prometheus must run under it.
  const ns = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: namespace, labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'restricted' } },
  };
  const objects = [ns, ...operatorObjects(a, namespace), ...prometheusRbac(a, namespace)];
  kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=userforge-monitoring', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
  log('waiting for the Prometheus Operator');
  kubectl(['rollout', 'status', '-n', namespace, 'deployment/prometheus-operator', `--timeout=${Math.round(timeoutMs / 1000)}s`]);

  kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=userforge-monitoring', '-f', '-'], JSON.stringify(prometheusObject(a, namespace)));
  log(`waiting for the operator to run Prometheus ${a.prometheusVersion} (StatefulSet prometheus-${PROMETHEUS_NAME})`);
  await waitFor('the operator creating the Prometheus StatefulSet', timeoutMs, () =>
    kubectl.try(['get', '-n', namespace, `statefulset/prometheus-${PROMETHEUS_NAME}`]).code === 0 ? true : undefined,
  );
  kubectl(['rollout', 'status', '-n', namespace, `statefulset/prometheus-${PROMETHEUS_NAME}`, `--timeout=${Math.round(timeoutMs / 1000)}s`]);

  const forward = await forwardPrometheus(kubeconfig, { kubectl: options.kubectl, settings: s });
  try {
    await waitFor('Prometheus answering /-/ready', timeoutMs, async () => ((await fetch(`${forward.url}/-/ready`)).ok ? true : undefined));
  } finally {
    forward.close();
  }
  log(`Prometheus is ready (${Math.round((Date.now() - started) / 1000)} s)`);
  return { namespace, prometheus: PROMETHEUS_NAME, selector: { ...MONITORING_SELECTOR }, artefacts: a };
}
