/**
 * The Prometheus Operator on kind (scripts/monitoring): the operator reconciles a Prometheus; a
 * ServiceMonitor makes it scrape a small target (up == 1); a PrometheusRule is loaded, and its alert
 * fires when the target is scaled to zero and resolves when it is back. Prometheus is queried over
 * its HTTP API through `kubectl port-forward` on a loopback port. Root only (kind runs on the
 * project's own Docker engine); skipped with the reason otherwise.
 */
import yaml from 'js-yaml';
import { forwardPrometheus, installMonitoring, kubectlFor, MONITORING_SELECTOR, type Kubectl, type MonitoringInstall, type PrometheusForward } from '../../scripts/monitoring/install';
import { kindForMonitoring } from '../../scripts/monitoring/kind';

jest.setTimeout(1_800_000);

const NS = 'monitoring-test';
const TARGET = 'metrics-target';
const ALERT = 'UserforgeMonitoringTestTargetDown';
const log = (m: string) => process.stderr.write(`[monitoring] ${m}\n`);

/** The Prometheus HTTP API's envelope. */
interface ApiResponse<T> {
  status: string;
  data: T;
}
type Sample = { metric: Record<string, string>; value: [number, string] };
type RuleGroup = { name: string; rules: { name: string; type: string; health: string }[] };
type Alert = { labels: Record<string, string>; state: string };

/** A Deployment, Service, ServiceMonitor and PrometheusRule: Prometheus itself, with no scrape jobs, is the target (its image is loaded already). */
function targetObjects(image: string): object[] {
  const labels = { app: TARGET };
  const restricted = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } };
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: NS, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
    },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: TARGET, namespace: NS }, data: { 'prometheus.yml': 'global: {}\n' } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: TARGET, namespace: NS, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'target',
                image,
                imagePullPolicy: 'Never',
                args: ['--config.file=/etc/target/prometheus.yml', '--storage.tsdb.path=/data', '--web.listen-address=:9090'],
                ports: [{ name: 'web', containerPort: 9090 }],
                readinessProbe: { httpGet: { path: '/-/ready', port: 'web' }, periodSeconds: 2 },
                resources: { requests: { cpu: '10m', memory: '32Mi' } },
                securityContext: restricted,
                volumeMounts: [
                  { name: 'config', mountPath: '/etc/target' },
                  { name: 'data', mountPath: '/data' },
                ],
              },
            ],
            volumes: [
              { name: 'config', configMap: { name: TARGET } },
              { name: 'data', emptyDir: {} },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: TARGET, namespace: NS, labels },
      spec: { selector: labels, ports: [{ name: 'web', port: 9090, targetPort: 'web' }] },
    },
    {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: TARGET, namespace: NS, labels: { ...MONITORING_SELECTOR } },
      spec: { selector: { matchLabels: labels }, endpoints: [{ port: 'web', path: '/metrics', interval: '5s' }] },
    },
  ];
}

/**
 * The alert: a target that is gone has no `up` series at all (its endpoints leave the Service), so
 * "down" is "no `up == 1`", which also covers a target that is there and failing.
 */
const rule = () => ({
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'PrometheusRule',
  metadata: { name: TARGET, namespace: NS, labels: { ...MONITORING_SELECTOR } },
  spec: {
    groups: [
      {
        name: 'userforge-monitoring-test',
        rules: [
          {
            alert: ALERT,
            expr: `absent(up{namespace="${NS}", service="${TARGET}"} == 1)`,
            for: '0s',
            labels: { severity: 'warning' },
            annotations: { summary: `${TARGET} in ${NS} is not being scraped` },
          },
        ],
      },
    ],
  },
});

async function until<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 300_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | string = 'nothing yet';
  for (;;) {
    try {
      last = await read();
      if (done(last)) return last;
    } catch (e) {
      last = String(e);
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s; last: ${JSON.stringify(last).slice(0, 1000)}`);
    await new Promise((r) => setTimeout(r, 2_000));
  }
}

/** kind runs on a Docker engine of the project's own, which needs root; any other reason is a failure. */
const skip = process.getuid?.() === 0 ? undefined : 'needs root: kind runs on the project\'s own Docker engine (npm run kind:up); run the tests as root (CI does)';
const suite = skip ? describe.skip : describe;

suite(`the Prometheus Operator on kind${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let installed: MonitoringInstall;
  let kubectl: Kubectl;
  let prometheus: PrometheusForward;
  let kind: Awaited<ReturnType<typeof kindForMonitoring>> | undefined;

  const api = async <T>(route: string): Promise<T> => {
    const res = await fetch(`${prometheus.url}${route}`);
    const body = (await res.json()) as ApiResponse<T>;
    if (!res.ok || body.status !== 'success') throw new Error(`GET ${route}: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
    return body.data;
  };
  const up = () => api<{ result: Sample[] }>(`/api/v1/query?query=${encodeURIComponent(`up{namespace="${NS}",service="${TARGET}"}`)}`).then((d) => d.result);
  const alert = () => api<{ alerts: Alert[] }>('/api/v1/alerts').then((d) => d.alerts.find((a) => a.labels.alertname === ALERT));
  const apply = (o: object) => kubectl(['apply', '-f', '-'], yaml.dump(o));

  beforeAll(async () => {
    kind = await kindForMonitoring(log);
    kubectl = kubectlFor(kind.kubeconfig);
    installed = await installMonitoring(kind.kubeconfig, { loadImages: kind.loadImages, log });
    prometheus = await forwardPrometheus(kind.kubeconfig);
    kubectl.try(['delete', 'namespace', NS, '--wait=true', '--timeout=120s']);
  });

  afterAll(async () => {
    prometheus?.close();
    // A cluster that was running is left so, without this test's namespace; one started here is deleted.
    if (kind?.startedHere) await kind.stop();
    else kubectl?.try(['delete', 'namespace', NS, '--wait=false']);
  });

  it('reconciles the Prometheus resource into a running, ready server', async () => {
    const p = JSON.parse(kubectl(['get', 'prometheus', installed.prometheus, '-n', installed.namespace, '-o', 'json'])) as {
      status?: { availableReplicas?: number; conditions?: { type: string; status: string }[] };
    };
    expect(p.status?.availableReplicas).toBe(1);
    expect(p.status?.conditions?.find((c) => c.type === 'Reconciled')?.status).toBe('True');
    expect((await fetch(`${prometheus.url}/-/ready`)).status).toBe(200);
    const info = await api<{ version: string }>('/api/v1/status/buildinfo');
    expect(`v${info.version}`).toBe(installed.artefacts.prometheusVersion);
  });

  it('scrapes a Service selected by a ServiceMonitor: up == 1', async () => {
    for (const o of targetObjects(installed.artefacts.images.prometheus.ref)) apply(o);
    kubectl(['rollout', 'status', '-n', NS, `deployment/${TARGET}`, '--timeout=180s']);
    const samples = await until('up{service="metrics-target"} == 1', up, (r) => r.length === 1 && r[0]!.value[1] === '1');
    expect(samples[0]!.metric).toMatchObject({ namespace: NS, service: TARGET, job: TARGET });
  });

  it('loads a PrometheusRule; its alert fires when the target is scaled to 0 and resolves when it is back', async () => {
    apply(rule());
    const groups = await until(
      'the PrometheusRule in /api/v1/rules',
      () => api<{ groups: RuleGroup[] }>('/api/v1/rules').then((d) => d.groups),
      (g) => g.some((group) => group.rules.some((r) => r.name === ALERT && r.health === 'ok')),
    );
    expect(groups.flatMap((g) => g.rules).find((r) => r.name === ALERT)?.type).toBe('alerting');
    expect(await alert()).toBeUndefined();

    kubectl(['scale', '-n', NS, `deployment/${TARGET}`, '--replicas=0']);
    const firing = await until(`${ALERT} firing`, alert, (a) => a?.state === 'firing');
    expect(firing!.labels.severity).toBe('warning');

    kubectl(['scale', '-n', NS, `deployment/${TARGET}`, '--replicas=1']);
    await until(`${ALERT} resolved`, alert, (a) => a === undefined);
    expect((await up())[0]?.value[1]).toBe('1');
  });
});
