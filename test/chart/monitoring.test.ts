/**
 * Monitoring without a running platform: the alert rules under promtool (check and unit tests, which
 * are shown able to fail), the dashboard's shape, and the chart's ServiceMonitors, PrometheusRule,
 * dashboard ConfigMap and scrape annotations, dry-run on the test suite's real kube-apiserver with
 * the Prometheus Operator's own CRDs. test/chart/monitoring-queries.test.ts runs every query against
 * a real Prometheus.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { CHART, find, kubectl, mustOk, podSpec, render, waitForCrdEstablished, type K8sObject } from './helm';
import { ALERTS_FILE, DASHBOARD_FILE, RULE_TESTS_FILE, alertRules, dashboard, dashboardQueries, panels, prometheusOperatorCrds, promtool, withGrafanaVariables } from './monitoring';

const MONITORING_API = ['monitoring.coreos.com/v1'];
const ALL_ON = ['monitoring.serviceMonitors.enabled=true', 'monitoring.prometheusRule.enabled=true', 'monitoring.grafanaDashboard.enabled=true'];
/** Each app and the name of the port its Service and container give /metrics. */
const METRICS_PORTS = { api: 'http', consumer: 'metrics', operator: 'metrics' } as const;
const APPS = Object.keys(METRICS_PORTS) as (keyof typeof METRICS_PORTS)[];
const FILE_PATTERN = '(.+-)?(api|consumer|operator)';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'userforge-monitoring-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface RuleTests {
  tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
}

describe('alert rules (promtool)', () => {
  it('files/alerts.yaml passes promtool check rules', () => {
    const r = promtool(['check', 'rules', ALERTS_FILE]);
    expect(r).toEqual({ code: 0, out: expect.stringContaining(`SUCCESS: ${alertRules().length} rules found`) });
  });

  it('every alert waits (`for`), has a severity, a summary, a description and a runbook', () => {
    for (const rule of alertRules()) {
      expect([rule.alert, rule.for, rule.labels?.severity, Object.keys(rule.annotations ?? {}).sort()]).toEqual([
        rule.alert,
        expect.stringMatching(/^\d+[smh]$/),
        expect.stringMatching(/^(warning|critical)$/),
        ['description', 'runbook', 'summary'],
      ]);
    }
  });

  it('the unit tests pass, and show every alert both firing and silent', () => {
    expect(promtool(['test', 'rules', path.basename(RULE_TESTS_FILE)], path.dirname(RULE_TESTS_FILE))).toEqual({ code: 0, out: expect.stringContaining('SUCCESS') });
    const cases = (yaml.load(fs.readFileSync(RULE_TESTS_FILE, 'utf8')) as RuleTests).tests.flatMap((t) => t.alert_rule_test);
    for (const { alert } of alertRules()) {
      const mine = cases.filter((c) => c.alertname === alert);
      expect([alert, mine.some((c) => c.exp_alerts.length > 0), mine.some((c) => c.exp_alerts.length === 0)]).toEqual([alert, true, true]);
    }
  });

  it('the unit tests can fail: with any one alert made unable to fire, they fail on that alert', () => {
    const tests = yaml.load(fs.readFileSync(RULE_TESTS_FILE, 'utf8')) as { rule_files: string[] };
    for (const { alert } of alertRules()) {
      const broken = yaml.load(fs.readFileSync(ALERTS_FILE, 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };
      for (const rule of broken.groups.flatMap((g) => g.rules)) if (rule.alert === alert) rule.expr = 'vector(1) == 2';
      fs.writeFileSync(path.join(tmp, 'alerts.yaml'), yaml.dump(broken));
      fs.writeFileSync(path.join(tmp, 'tests.yaml'), yaml.dump({ ...tests, rule_files: ['alerts.yaml'] }));
      const r = promtool(['test', 'rules', 'tests.yaml'], tmp);
      expect([alert, r.code, r.out]).toEqual([alert, 1, expect.stringContaining(`alertname: ${alert},`)]);
    }
  });
});

describe('the Grafana dashboard', () => {
  it('imports by hand: schemaVersion 39+, a Prometheus `datasource` variable that every panel and query uses', () => {
    const d = dashboard();
    expect(d.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(d.templating.list.find((v) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const p of panels(d)) {
      expect([p.title, p.datasource]).toEqual([p.title, { type: 'prometheus', uid: '${datasource}' }]);
      expect([p.title, p.targets?.length]).toEqual([p.title, expect.any(Number)]);
      for (const t of p.targets!) expect([p.title, t.datasource?.uid]).toEqual([p.title, '${datasource}']);
    }
  });

  it('every query is valid PromQL (promtool checks them as recording rules)', () => {
    const queries = dashboardQueries();
    const rules = queries.map((q, i) => ({ record: `userforge:panel_${i}`, expr: withGrafanaVariables(q.expr, { rateInterval: '30s', range: '1h' }) }));
    fs.writeFileSync(path.join(tmp, 'panels.yaml'), yaml.dump({ groups: [{ name: 'panels', rules }] }));
    expect(promtool(['check', 'rules', path.join(tmp, 'panels.yaml')])).toEqual({ code: 0, out: expect.stringContaining(`SUCCESS: ${queries.length} rules found`) });
  });
});

const kinds = (objects: K8sObject[]) => objects.map((o) => o.kind).filter((k) => ['ServiceMonitor', 'PrometheusRule'].includes(k));

describe('the chart', () => {
  const podAnnotations = (objects: K8sObject[], app: string) =>
    (find(objects, 'Deployment', `userforge-${app}`).spec as { template: { metadata: { annotations?: Record<string, string> } } }).template.metadata.annotations ?? {};
  const containerPort = (objects: K8sObject[], app: string) =>
    (podSpec(find(objects, 'Deployment', `userforge-${app}`)).containers[0]!.ports as { name: string; containerPort: number }[]).find((p) => p.name === METRICS_PORTS[app as keyof typeof METRICS_PORTS])!.containerPort;

  it('without the Prometheus Operator API renders no ServiceMonitor or PrometheusRule, even when asked; pods carry prometheus.io/* annotations naming their metrics port', () => {
    for (const set of [[], ALL_ON]) {
      const objects = render({ set });
      expect(kinds(objects)).toEqual([]);
      for (const app of APPS) {
        expect([app, podAnnotations(objects, app)]).toEqual([
          app,
          expect.objectContaining({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(containerPort(objects, app)), 'prometheus.io/path': '/metrics' }),
        ]);
      }
    }
    const off = render({ set: ['monitoring.scrapeAnnotations=false'] });
    for (const app of APPS) expect(Object.keys(podAnnotations(off, app)).filter((k) => k.startsWith('prometheus.io/'))).toEqual([]);
  });

  it('with it: one ServiceMonitor per app selecting exactly that app’s Service by its metrics port, and no pod annotations (no double scrape)', () => {
    const objects = render({ set: [...ALL_ON, 'monitoring.serviceMonitors.labels.release=kps'], apiVersions: MONITORING_API });
    const services = objects.filter((o) => o.kind === 'Service');
    for (const app of APPS) {
      const sm = find(objects, 'ServiceMonitor', `userforge-${app}`) as K8sObject & {
        spec: { selector: { matchLabels: Record<string, string> }; namespaceSelector: { matchNames: string[] }; endpoints: { port: string; path: string }[] };
      };
      const selected = services.filter((s) => Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => s.metadata.labels?.[k] === v));
      expect([app, selected.map((s) => s.metadata.name)]).toEqual([app, [`userforge-${app}`]]);
      const ports = (selected[0]!.spec as { ports: { name: string }[] }).ports.map((p) => p.name);
      expect([app, sm.spec.endpoints, ports]).toEqual([app, [{ port: METRICS_PORTS[app], path: '/metrics', interval: '30s' }], expect.arrayContaining([METRICS_PORTS[app]])]);
      expect([app, sm.spec.namespaceSelector.matchNames, sm.metadata.labels?.release]).toEqual([app, ['userforge'], 'kps']);
      expect([app, podAnnotations(objects, app)['prometheus.io/scrape']]).toEqual([app, undefined]);
    }
    const noOperator = render({ set: [...ALL_ON, 'operator.enabled=false'], apiVersions: MONITORING_API });
    expect(noOperator.filter((o) => o.kind === 'ServiceMonitor').map((o) => o.metadata.name)).toEqual(['userforge-api', 'userforge-consumer']);
  });

  it("the NetworkPolicies let Prometheus' pods in its namespaces reach every app's metrics port, and the scraper selectors are values", () => {
    type Policy = K8sObject & { spec: { ingress: { from: object[]; ports: { port: number }[] }[] } };
    const prometheusPeer = (namespaces: string[], labels?: Record<string, string>) => ({
      namespaceSelector: namespaces.length ? { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: namespaces }] } : {},
      ...(labels ? { podSelector: { matchLabels: labels } } : {}),
    });
    const scrapers = (objects: K8sObject[], app: string) => {
      const rules = (find(objects, 'NetworkPolicy', `userforge-${app}`) as Policy).spec.ingress;
      return rules.filter((r) => r.ports.some((p) => p.port === containerPort(objects, app))).flatMap((r) => r.from);
    };
    const defaults = render();
    for (const app of APPS) expect([app, scrapers(defaults, app)]).toEqual([app, expect.arrayContaining([prometheusPeer(['monitoring'], { 'app.kubernetes.io/name': 'prometheus' })])]);
    const custom = render({ set: ['networkPolicy.metricsScrapers.namespaces={observability,kps}', 'networkPolicy.metricsScrapers.podLabels=null', 'networkPolicy.metricsScrapers.extraPeers[0].ipBlock.cidr=10.0.0.0/8'] });
    for (const app of APPS) {
      expect([app, scrapers(custom, app)]).toEqual([app, expect.arrayContaining([prometheusPeer(['observability', 'kps']), { ipBlock: { cidr: '10.0.0.0/8' } }])]);
    }
  });

  it('the PrometheusRule holds the groups of files/alerts.yaml, pinned to the release’s own Service (job) and Deployment names', () => {
    const objects = render({ release: 'demo', namespace: 'team-a', set: [...ALL_ON, 'monitoring.prometheusRule.labels.release=kps'], apiVersions: MONITORING_API });
    const rule = find(objects, 'PrometheusRule', 'demo-userforge-alerts') as K8sObject & { spec: { groups: unknown } };
    const pinned = 'demo-userforge-(api|consumer|operator)';
    const expected = yaml.load(fs.readFileSync(ALERTS_FILE, 'utf8').replaceAll(FILE_PATTERN, pinned)) as { groups: unknown };
    expect(rule.spec.groups).toEqual(expected.groups);
    expect(rule.metadata.labels?.release).toBe('kps');
    expect(JSON.stringify(rule.spec)).not.toContain(FILE_PATTERN);
    // What the alerts match is what the ServiceMonitors' jobs (Service names) and the Deployments are called.
    const re = new RegExp(`^${pinned}$`);
    for (const kind of ['Service', 'Deployment']) {
      const names = objects.filter((o) => o.kind === kind && APPS.some((a) => o.metadata.name.endsWith(`-${a}`))).map((o) => o.metadata.name);
      expect([kind, names.length, names.filter((n) => !re.test(n))]).toEqual([kind, 3, []]);
    }
  });

  it('the dashboard ConfigMap carries the sidecar label (configurable) and the dashboard JSON unchanged; off by default', () => {
    expect(render().filter((o) => o.metadata.name === 'userforge-grafana-dashboard')).toEqual([]);
    const objects = render({ set: [...ALL_ON, 'monitoring.grafanaDashboard.label=dashboards', 'monitoring.grafanaDashboard.labelValue=userforge'] });
    const cm = find(objects, 'ConfigMap', 'userforge-grafana-dashboard') as K8sObject & { data: Record<string, string> };
    expect(cm.metadata.labels).toMatchObject({ dashboards: 'userforge' });
    expect(JSON.parse(cm.data['userforge.json']!)).toEqual(JSON.parse(fs.readFileSync(DASHBOARD_FILE, 'utf8')));
  });
});

describe('the rendered monitoring objects on a real API server with the Prometheus Operator CRDs', () => {
  const ns = `monitoring-${process.pid}`;
  const installed: string[] = [];

  beforeAll(() => {
    for (const file of prometheusOperatorCrds()) {
      const name = (yaml.load(fs.readFileSync(file, 'utf8')) as K8sObject).metadata.name;
      // Left as found: removed afterwards only if this test installed it.
      if (kubectl(['get', 'crd', name]).code !== 0) installed.push(name);
      mustOk(kubectl(['apply', '--server-side', '--force-conflicts', '-f', file]), `apply ${name}`);
      waitForCrdEstablished(name);
    }
    mustOk(kubectl(['create', 'namespace', ns]), `create namespace ${ns}`);
  });

  afterAll(() => {
    kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
    for (const name of installed) kubectl(['delete', 'crd', name, '--ignore-not-found', '--wait=false']);
  });

  it('accepts the ServiceMonitors and the PrometheusRule of ci/full-values.yaml (server-side dry run) and refuses malformed ones', () => {
    const objects = render({ namespace: ns, valuesFile: path.join(CHART, 'ci', 'full-values.yaml'), apiVersions: MONITORING_API }).filter((o) => o.metadata && kinds([o]).length);
    expect(kinds(objects).sort()).toEqual(['PrometheusRule', 'ServiceMonitor', 'ServiceMonitor', 'ServiceMonitor']);
    const docs = objects.map((o) => yaml.dump(o)).join('---\n');
    const ok = kubectl(['apply', '--dry-run=server', '--namespace', ns, '-f', '-'], docs);
    expect({ code: ok.code, err: ok.err }).toEqual({ code: 0, err: '' });
    expect(ok.out.match(/created \(server dry run\)/g)?.length).toBe(objects.length);

    // The CRDs' schemas do check: a numeric port name and a `for` that is no duration are refused.
    const sm = objects.find((o) => o.kind === 'ServiceMonitor')! as K8sObject & { spec: { endpoints: { port: unknown }[] } };
    const badSm = { ...sm, spec: { ...sm.spec, endpoints: [{ ...sm.spec.endpoints[0], port: 9000 }] } };
    const rule = objects.find((o) => o.kind === 'PrometheusRule')! as K8sObject & { spec: { groups: { rules: { for?: string }[] }[] } };
    const badRule = { ...rule, spec: { groups: [{ ...rule.spec.groups[0], rules: [{ ...rule.spec.groups[0]!.rules[0], for: 'a while' }] }] } };
    for (const bad of [badSm, badRule]) {
      const r = kubectl(['apply', '--dry-run=server', '--namespace', ns, '-f', '-'], yaml.dump(bad));
      expect([bad.kind, r.code, r.err]).toEqual([bad.kind, 1, expect.stringMatching(/Invalid value|invalid|must be of type/)]);
    }
  });
});
