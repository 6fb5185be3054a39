/// <reference lib="dom" />
/**
 * The user's path on kind, as the README gives it: `npm run kind:up`, then `npm run skaffold -- run` (and `-- dev`)
 * (skaffold builds the four images, loads them into kind and installs the chart with values-dev.yaml:
 * the chart's own Kafka, MongoDB-wire server and Redis in the cluster), then a sample
 * UserGenerationJob applied with kubectl. Then what a user does next: the dashboard through the
 * Ingress and through a port-forward, `helm test`, the Prometheus Operator scraping every app and
 * firing a chart alert, the NetworkPolicies enforced, and `skaffold dev` rolling out an API edit.
 * Root only (the Docker engine of kind:up needs it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import yaml from 'js-yaml';
import { chromium, type Browser } from 'playwright-core';
import { jobIdFor } from '../../operator/src/api/v1alpha1/user-generation-job.types';
import { usersOfJob } from '@userforge/devstack';
import { busyboxImage } from '@userforge/devstack';
import { installAddons, kindIngressOrigin } from '@userforge/devstack';
import { kindDown, kindKubeconfig, kindStatus, kindUp, loadImages, loadKindSettings } from '@userforge/devstack';
import { portForward, type PortForward } from '@userforge/devstack';
import { MONITORING_NAMESPACE } from '@userforge/devstack';
import { REPO_ROOT } from '@userforge/devstack';
import { CHART } from '../chart/helm';
import { kubeClient, record, RESULTS, sleep } from './harness';
import { promQuery, readLoad, watchJobEvents } from './observe';
import { COMPONENT, consumerReplicas, getUgj, isReady, leaseHolder, RELEASE, releasePods, succeeded, ugj, until, type Container, type Pod } from './release';

jest.setTimeout(3_600_000);

const NS = 'userforge';
const HOST = 'userforge.localtest.me';
const SAMPLE = path.join(REPO_ROOT, 'k8s', 'samples', 'user-generation-job.yaml');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const RECORD = path.join(RESULTS, 'kind-user-path.txt');
const OUTSIDER_NS = 'userforge-outsider';
/** The consumers the operator keeps while no job runs, as the dev values the user deploys set it. */
const MIN_CONSUMERS = (yaml.load(fs.readFileSync(path.join(CHART, 'values-dev.yaml'), 'utf8')) as { operator: { minConsumers: number } }).operator.minConsumers;
/** Large enough that the job is well under way once the operator's 3 consumers are Ready. */
const BIG = 600_000;
const skip = process.getuid?.() !== 0 ? 'kind runs on a Docker engine of its own, which needs root' : undefined;
const suite = skip ? describe.skip : describe;
const log = (m: string) => process.stderr.write(`[kind-user-path] ${m}\n`);

const k = loadKindSettings();
let kc: ReturnType<typeof kubeClient>;
const forwards: PortForward[] = [];
let browser: Browser | undefined;
/** A cluster this file started is deleted at its end; one that was running is left as it was. */
let startedHere = false;
/** Prometheus (namespace monitoring) through a port-forward, opened by the monitoring test. */
let prometheus: PortForward;

/** A workload of `helm get manifest`: its pod template as the chart rendered it. */
type Rendered = { kind?: string; spec?: { template: { metadata: { labels: Record<string, string> }; spec: Pod['spec'] & { containers: Container[] } } } };

/** `npm run skaffold -- <args>` as a user runs it (the real entry point), its output kept for failures. */
function skaffold(args: string[]): ChildProcess & { output: () => string } {
  const child = spawn('npx', ['--no-install', 'tsx', 'scripts/skaffold/cli.ts', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  return Object.assign(child, { output: () => output });
}

const exited = (child: ChildProcess) => new Promise<number>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.on('exit', (code) => resolve(code ?? 1))));

const forward = async (target: string, port: number) => {
  const f = await portForward(kc.kubectlBin, kc.kubeconfig, NS, target, port);
  forwards.push(f);
  return f;
};

const appPods = () => kc.json<{ items: Pod[] }>(['get', 'pods', '-n', NS, '-l', `app.kubernetes.io/instance=${RELEASE}`]).items.filter((p) => !p.metadata.deletionTimestamp);
const restarts = (p: Pod) => ((p.status as { containerStatuses?: { restartCount: number }[] }).containerStatuses ?? []).reduce((n, c) => n + c.restartCount, 0);

/** Counts a job's users in the in-cluster MongoDB-wire server, through a port-forward to its Service. */
async function auditInCluster(jobId: string) {
  const mongo = await forward(`svc/${RELEASE}-dev-mongodb`, 27017);
  try {
    return await usersOfJob(`mongodb://127.0.0.1:${mongo.port}/userforge?directConnection=true`, jobId);
  } finally {
    mongo.close();
  }
}

suite('the user path on kind: kind:up, npm run skaffold -- run, a sample job', () => {
  beforeAll(async () => {
    fs.rmSync(RECORD, { force: true });
    const started = Date.now();
    startedHere = !kindStatus(k).cluster;
    await kindUp(k, log);
    kc = kubeClient(kindKubeconfig(k), k.stack);
    await installAddons(k, kc.kubeconfig, (archives) => loadImages(k, archives), log);
    // A run that died half way left its release behind: start from nothing, as a new user does.
    kc.helm(['uninstall', RELEASE, '-n', NS, '--ignore-not-found', '--wait']);
    kc.kubectl(['delete', 'namespace', NS, OUTSIDER_NS, '--ignore-not-found', '--wait', '--timeout=300s']);
    log(`kind and its add-ons ready after ${Math.round((Date.now() - started) / 1000)} s`);
  }, 3_600_000);

  afterAll(async () => {
    for (const f of forwards) f.close();
    await browser?.close();
    if (startedHere) await kindDown(k, log);
  });

  it('npm run skaffold -- run exits 0 on the first try, and every pod is Ready with zero restarts, the in-cluster servers included', async () => {
    const started = Date.now();
    const run = skaffold(['run', '--status-check=true']);
    const code = await exited(run);
    const seconds = Math.round((Date.now() - started) / 1000);
    fs.mkdirSync(RESULTS, { recursive: true });
    fs.writeFileSync(path.join(RESULTS, 'kind-skaffold-run.log'), run.output());
    if (code !== 0) throw new Error(`npm run skaffold -- run exited ${code}:\n${run.output().slice(-4000)}`);
    log(`first deploy (npm run skaffold -- run, from nothing): ${seconds} s`);
    record(RECORD, `npm run skaffold -- run: exit 0 after ${seconds} s; kubectl get pods`, kc.ok(kc.kubectl(['get', 'pods', '-n', NS, '-o', 'wide']), 'get pods'));

    const pods = appPods();
    const components = new Set(pods.map((p) => p.metadata.labels[COMPONENT]));
    for (const c of ['api', 'consumer', 'operator', 'dashboard', 'dev-kafka', 'dev-mongodb', 'dev-redis']) expect(components).toContain(c);
    expect(pods.filter((p) => !isReady(p)).map((p) => p.metadata.name)).toEqual([]);
    expect(pods.filter((p) => restarts(p) > 0).map((p) => `${p.metadata.name}: ${restarts(p)} restarts`)).toEqual([]);
    // The images skaffold built are the ones running (its tag, not the chart's appVersion).
    const apiImage = pods.find((p) => p.metadata.labels[COMPONENT] === 'api')!.spec.containers[0]!.image;
    expect(apiImage).toMatch(/^userforge\/api:/);
    // PVCs bound through local-path.
    const pvcs = kc.json<{ items: { metadata: { name: string }; status: { phase: string } }[] }>(['get', 'pvc', '-n', NS]).items;
    expect(pvcs.length).toBeGreaterThanOrEqual(3);
    expect(pvcs.filter((p) => p.status.phase !== 'Bound')).toEqual([]);
  });

  it('kubectl apply of the sample UserGenerationJob reaches Succeeded with exactly its count, and the dashboard shows it live through the Ingress and through a port-forward', async () => {
    const sample = yaml.load(fs.readFileSync(SAMPLE, 'utf8')) as { metadata: { name: string }; spec: { count: number } };
    const dashboard = await forward(`svc/${RELEASE}-dashboard`, 80);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-proxy-server', `--host-resolver-rules=MAP ${HOST} ${k.USERFORGE_KIND_ENGINE_ADDRESS}`],
    });
    const origins = { ingress: `http://${HOST}`, 'port-forward': dashboard.url };
    const pages = await Promise.all(
      Object.entries(origins).map(async ([via, origin]) => {
        const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
        await page.goto(`${origin}/#/jobs`);
        await page.getByRole('button', { name: 'Start job' }).waitFor();
        return { via, page, shown: new Set<number>() };
      }),
    );
    expect(kindIngressOrigin(k)).toBe(`http://${k.USERFORGE_KIND_ENGINE_ADDRESS}`);

    kc.ok(kc.kubectl(['apply', '-f', SAMPLE, '-n', NS]), 'kubectl apply the sample');
    const name = sample.metadata.name;
    const final = await until(
      `${name} Succeeded`,
      async () => {
        for (const p of pages) for (const v of await p.page.$$eval('[role="progressbar"]', (bars) => bars.map((b) => Number(b.getAttribute('aria-valuenow'))))) p.shown.add(v);
        return getUgj(kc, NS, name);
      },
      succeeded,
      1_200_000,
      500,
    );
    record(RECORD, 'kubectl get ugj', kc.ok(kc.kubectl(['get', 'ugj', '-n', NS]), 'get ugj'));
    expect(final.status).toMatchObject({ usersStored: sample.spec.count, progress: '100%' });
    const jobId = jobIdFor(final.metadata.uid!);
    expect(await auditInCluster(jobId)).toEqual({ users: sample.spec.count, emails: sample.spec.count, ids: sample.spec.count });
    for (const p of pages) {
      await p.page.waitForFunction(() => document.querySelector('[role="progressbar"]')?.getAttribute('aria-valuenow') === '100', undefined, { timeout: 60_000 });
      await p.page.screenshot({ path: path.join(RESULTS, 'screenshots', `kind-jobs-${p.via}.png`), fullPage: true });
      // Live: the page showed the job part way, not only its end.
      expect({ via: p.via, partial: [...p.shown].some((v) => v > 0 && v < 100) }).toEqual({ via: p.via, partial: true });
    }
  });

  it('helm test passes: the API answers through its Service and the cluster serves the CRD', () => {
    // Without --logs: the hook's delete policy (hook-succeeded) removes the pod before Helm could read them.
    const r = kc.helm(['test', RELEASE, '-n', NS, '--timeout', '5m']);
    if (r.code !== 0) throw new Error(`helm test failed:\n${r.err}\n${r.out}`);
    expect(r.out).toMatch(/Phase:\s+Succeeded/);
  });

  it('the NetworkPolicies hold: a pod in another namespace reaches none of the release, while the ingress controller does', async () => {
    const busybox = busyboxImage(k, log);
    loadImages(k, [busybox.file]);
    kc.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: OUTSIDER_NS } });
    kc.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'outsider', namespace: OUTSIDER_NS },
      spec: { containers: [{ name: 'sh', image: busybox.ref, imagePullPolicy: 'Never', command: ['sleep', '3600'] }], terminationGracePeriodSeconds: 0 },
    });
    kc.ok(kc.kubectl(['wait', '--for=condition=Ready', 'pod/outsider', '-n', OUTSIDER_NS, '--timeout=120s']), 'outsider Ready');
    // Debian's busybox nc has no -z: connect with nothing to send. A policy drops the SYN (the connect
    // times out); a port nobody listens on refuses; a connection that opens exits 0.
    const reach = (host: string, port: number): 'connected' | 'refused' | 'timed out' | string => {
      const r = kc.kubectl(['exec', '-n', OUTSIDER_NS, 'outsider', '--', 'sh', '-c', `timeout 8 nc -w 3 ${host} ${port} </dev/null`]);
      if (r.code === 0) return 'connected';
      if (/timed out/.test(r.err)) return 'timed out';
      if (/refused/.test(r.err)) return 'refused';
      return `exit ${r.code}: ${r.err.trim()}`;
    };
    const svc = (name: string) => `${RELEASE}-${name}.${NS}.svc.cluster.local`;
    // Control: the same pod reaches a pod no policy selects (the ingress controller's web port), so a
    // timeout below is the policy's, not the pod's or the network's.
    const traefik = kc.json<{ items: Pod[] }>(['get', 'pods', '-n', 'traefik']).items.find(isReady)!;
    expect(reach(traefik.status.podIP!, 8000)).toBe('connected');
    const targets: [string, number][] = [
      [svc('api'), 9000],
      [svc('dashboard'), 80],
      [svc('consumer'), 9101],
      [svc('operator'), 9300],
      [svc('dev-kafka'), 9092],
      [svc('dev-mongodb'), 27017],
      [svc('dev-redis'), 6379],
    ];
    const results = Object.fromEntries(targets.map(([host, port]) => [`${host}:${port}`, reach(host, port)]));
    expect(results).toEqual(Object.fromEntries(targets.map(([host, port]) => [`${host}:${port}`, 'timed out'])));
    // The other way round: the Ingress reaches the API and the dashboard (through Traefik's pods); the
    // apps reach their servers (the sample job above) and Prometheus every metrics port (the next test).
    // fetch() ignores a Host header; node:http sends it, so Traefik routes by the Ingress's host.
    const viaIngress = (p: string) =>
      new Promise<number>((resolve, reject) => {
        const req = http.get(`${kindIngressOrigin(k)}${p}`, { headers: { host: HOST } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.setTimeout(10_000, () => req.destroy(new Error(`GET ${p} through the Ingress: no answer within 10 s`)));
      });
    expect(await viaIngress('/v1/users?limit=1')).toBe(200);
    expect(await viaIngress('/')).toBe(200);
  });

  it('the Prometheus Operator scrapes every app pod through the ServiceMonitors and loads the PrometheusRule; a chart alert fires and resolves', async () => {
    prometheus = await portForward(kc.kubectlBin, kc.kubeconfig, MONITORING_NAMESPACE, 'svc/prometheus-operated', 9090);
    forwards.push(prometheus);
    const apps = () => appPods().filter((p) => ['api', 'consumer', 'operator'].includes(p.metadata.labels[COMPONENT]!)).map((p) => p.metadata.name).sort();
    const up = await until(
      'every app pod up in Prometheus',
      async () => (await promQuery(prometheus.url, `up{namespace="${NS}"} == 1`)).map((s) => s.metric.pod!).sort(),
      (scraped) => apps().every((p) => scraped.includes(p)),
      300_000,
      3_000,
    );
    expect(up).toEqual(expect.arrayContaining(apps()));
    const rules = (await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string }[] }[] } };
    expect(rules.data.groups.flatMap((g) => g.rules.map((r) => r.name))).toEqual(expect.arrayContaining(['UserforgeTargetDown', 'UserforgeApiHighErrorRate']));

    // UserforgeTargetDown, as a real outage makes it: the operator's NetworkPolicy admits no scraper
    // and its pod is replaced, so Prometheus finds the new pod (service discovery, no reload) and
    // cannot reach it (up == 0) while the pod runs Ready; the policy restored, the alert resolves.
    const policy = `${RELEASE}-operator`;
    const ingress = kc.json<{ spec: { ingress: object[] } }>(['get', 'networkpolicy', policy, '-n', NS]).spec.ingress;
    const setIngress = (rules: object[]) => kc.ok(kc.kubectl(['patch', 'networkpolicy', policy, '-n', NS, '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/spec/ingress', value: rules }])]), 'patch the NetworkPolicy');
    const alerts = async () => ((await (await fetch(`${prometheus.url}/api/v1/alerts`)).json()) as { data: { alerts: { labels: Record<string, string>; state: string }[] } }).data.alerts.filter((a) => a.labels.alertname === 'UserforgeTargetDown' && a.labels.namespace === NS);
    setIngress([]);
    try {
      const old = appPods().find((p) => p.metadata.labels[COMPONENT] === 'operator')!.metadata.name;
      kc.ok(kc.kubectl(['delete', 'pod', old, '-n', NS, '--wait=false']), 'replace the operator pod');
      const firing = await until('UserforgeTargetDown firing', alerts, (a) => a.some((x) => x.state === 'firing'), 420_000, 5_000);
      const running = appPods().find((p) => p.metadata.labels[COMPONENT] === 'operator')!;
      expect({ pod: firing.find((x) => x.state === 'firing')!.labels.pod, ready: isReady(running) }).toEqual({ pod: running.metadata.name, ready: true });
    } finally {
      setIngress(ingress);
    }
    await until('UserforgeTargetDown resolved', alerts, (a) => a.length === 0, 300_000, 5_000);
  });

  it('helm upgrade to the production shape (two APIs, two operators); a second upgrade rolls the API while cached reads through the Ingress see no error; one operator leads', async () => {
    // The upgrade the docs give: the new chart's defaults, then the values this release was given.
    // skaffold labels every pod template with its run id, so this first helm upgrade of a release
    // skaffold deployed rolls every pod once, the development servers included (docs/helm-chart.md).
    const upgrade = (values: string[]) => kc.ok(kc.helm(['upgrade', RELEASE, CHART, '-n', NS, '--reset-then-reuse-values', ...values.flatMap((v) => ['--set', v]), '--wait', '--timeout', '10m']), 'helm upgrade');
    upgrade(['api.replicaCount=2', 'operator.replicaCount=2']);
    await until('every pod of the release Ready', () => appPods(), (pods) => pods.every(isReady), 300_000);
    const before = appPods().filter((p) => p.metadata.labels[COMPONENT] === 'api').map((p) => p.metadata.name);
    expect(before).toHaveLength(2);

    // The rollout a production release sees: only the API's pods change, one at a time.
    const load = readLoad(`http://${HOST}/v1/users?page=1&limit=10`, { address: k.USERFORGE_KIND_ENGINE_ADDRESS });
    await sleep(3_000);
    upgrade(['api.logLevel=info']);
    await sleep(3_000);
    const result = await load.stop();
    log(`rollout load through the Ingress: ${result.requests} reads, ${result.hits} cache hits, ${result.errors.length} errors`);
    expect(result.errors).toEqual([]);
    expect(result.requests).toBeGreaterThan(100);
    expect(result.hits).toBeGreaterThan(0);
    const apis = releasePods(kc, NS, 'api').filter(isReady).map((p) => p.metadata.name);
    expect(apis).toHaveLength(2);
    expect(apis.filter((n) => before.includes(n))).toEqual([]);

    // Every pod runs what the chart rendered: its securityContext and probes, not defaults.
    const manifest = yaml.loadAll(kc.ok(kc.helm(['get', 'manifest', RELEASE, '-n', NS]), 'helm get manifest')) as Rendered[];
    for (const d of manifest.filter((o) => o?.kind === 'Deployment' || o?.kind === 'StatefulSet')) {
      const template = d.spec!.template;
      const live = releasePods(kc, NS, template.metadata.labels[COMPONENT]).filter(isReady);
      expect({ component: template.metadata.labels[COMPONENT], live: live.length > 0 }).toEqual({ component: template.metadata.labels[COMPONENT], live: true });
      for (const pod of live) {
        expect(pod.spec.securityContext).toMatchObject(template.spec.securityContext ?? {});
        for (const want of template.spec.containers) {
          const got = pod.spec.containers.find((c) => c.name === want.name)!;
          expect(got.securityContext).toMatchObject(want.securityContext ?? {});
          for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe'] as const) if (want[probe]) expect(got[probe]).toMatchObject(want[probe]!);
        }
      }
    }

    const operators = await until('two operators Ready', () => releasePods(kc, NS, 'operator').filter(isReady).map((p) => p.metadata.name), (n) => n.length === 2, 180_000);
    const holder = await until('an operator holds the Lease', () => leaseHolder(kc, NS), (h) => h !== undefined && operators.includes(h), 120_000);
    const leaders = await until('the leader gauge of both operators', () => promQuery(prometheus.url, `userforge_operator_leader{namespace="${NS}"}`), (s) => s.length === 2 && s.every((x) => operators.includes(x.metric.pod!)), 180_000, 3_000);
    expect(leaders.map((x) => [x.metric.pod, x.value[1]]).sort()).toEqual(operators.map((p) => [p, p === holder ? '1' : '0']).sort());
  });

  it(`a job with parallelism 3 scales the consumers to 3; a consumer pod and the leading operator deleted mid-job, it still stores exactly ${BIG.toLocaleString('en')} users, its events arrive through the Ingress, and the consumers go back to the dev values' ${MIN_CONSUMERS}`, async () => {
    const sse = watchJobEvents(`http://${HOST}/v1/events`, { address: k.USERFORGE_KIND_ENGINE_ADDRESS });
    kc.apply(ugj(NS, 'parallel', BIG, 3));
    const jobId = jobIdFor(getUgj(kc, NS, 'parallel').metadata.uid!);
    const stored = () => getUgj(kc, NS, 'parallel').status?.usersStored ?? 0;
    await until('the job under way on 3 consumers', () => ({ r: consumerReplicas(kc, NS), s: stored() }), ({ r, s }) => r.ready === 3 && s > 0 && s < BIG * 0.6, 600_000, 500);
    record(RECORD, 'kubectl get pods,ugj (parallel job under way on 3 consumers)', kc.ok(kc.kubectl(['get', 'pods,ugj', '-n', NS]), 'get pods,ugj'));

    const victim = releasePods(kc, NS, 'consumer').find(isReady)!.metadata.name;
    kc.ok(kc.kubectl(['delete', 'pod', victim, '-n', NS, '--wait=false']), 'delete a consumer pod');
    const leader = leaseHolder(kc, NS)!;
    const standby = releasePods(kc, NS, 'operator').map((p) => p.metadata.name).find((n) => n !== leader)!;
    const atDeletion = getUgj(kc, NS, 'parallel');
    kc.ok(kc.kubectl(['delete', 'pod', leader, '-n', NS, '--wait=false']), 'delete the leading operator pod');
    expect({ succeeded: succeeded(atDeletion), partial: (atDeletion.status?.usersStored ?? 0) < BIG }).toEqual({ succeeded: false, partial: true });

    await until('the standby operator takes the Lease', () => leaseHolder(kc, NS), (h) => h === standby, 120_000, 500);
    const final = await until('the parallel job Succeeded', () => getUgj(kc, NS, 'parallel'), succeeded, 900_000, 1_000);
    expect(final.status).toMatchObject({ jobId, usersStored: BIG, progress: '100%' });
    expect(await auditInCluster(jobId)).toEqual({ users: BIG, emails: BIG, ids: BIG });

    // The dashboard's stream, through the Ingress: the job's progress part way and its end.
    const events = await until('the final event through the Ingress', () => sse.of(jobId), (e) => e.some((x) => x.job.state === 'succeeded'), 30_000, 200);
    await sse.close();
    expect(events.some((e) => e.job.usersStored > 0 && e.job.usersStored < BIG)).toBe(true);
    expect(events.at(-1)!.job).toMatchObject({ state: 'succeeded', usersStored: BIG });

    await until('consumers back to the minimum', () => consumerReplicas(kc, NS), (r) => r.spec === MIN_CONSUMERS && r.ready === MIN_CONSUMERS, 180_000);
    record(RECORD, `kubectl get pods,ugj (parallel job done after consumer ${victim} and leader ${leader} were deleted)`, kc.ok(kc.kubectl(['get', 'pods,ugj', '-n', NS]), 'get pods,ugj'));
  });

  it('npm run skaffold -- dev rebuilds, loads and rolls out an API edit, and the change answers through its port-forward', async () => {
    const file = path.join(REPO_ROOT, 'services', 'api', 'src', 'http', 'health.routes.ts');
    const before = fs.readFileSync(file, 'utf8');
    const original = 'Liveness: the process serves HTTP';
    const marker = `${original} (edit ${process.pid})`;
    expect(before).toContain(`summary: '${original}'`);
    const dev = skaffold(['dev', '--cleanup=false', '--port-forward=user']);
    try {
      await until('skaffold dev watching, its port-forward of the API up', async () => /Watching for changes/.test(dev.output()) && /Port forwarding service\/userforge-api/.test(dev.output()), Boolean, 1_200_000, 2_000);
      const m = /Port forwarding service\/userforge-api in namespace userforge, remote port 9000 -> (?:http:\/\/)?(?:127\.0\.0\.1|localhost):(\d+)/.exec(dev.output());
      if (!m) throw new Error(`no port-forward line for the API:\n${dev.output().slice(-3000)}`);
      const forwarded = `http://127.0.0.1:${m[1]}`;
      const summary = async () => ((await (await fetch(`${forwarded}/openapi.json`)).json()) as { paths: Record<string, { get?: { summary?: string } }> }).paths['/healthz']?.get?.summary;
      expect(await summary()).toBe(original);
      const edited = Date.now();
      fs.writeFileSync(file, before.replace(`summary: '${original}'`, `summary: '${marker}'`));
      await until('the edit answering through the port-forward', () => summary().catch(() => undefined), (x) => x === marker, 1_200_000, 2_000);
      const seconds = Math.round((Date.now() - edited) / 1000);
      log(`edit → rolled out and answering through the port-forward: ${seconds} s`);
      record(RECORD, `npm run skaffold -- dev: an API edit answered through the port-forward after ${seconds} s`, kc.ok(kc.kubectl(['get', 'pods', '-n', NS]), 'get pods'));
    } finally {
      fs.writeFileSync(file, before);
      if (dev.pid) process.kill(-dev.pid, 'SIGINT');
      await Promise.race([exited(dev), new Promise((r) => setTimeout(r, 60_000))]);
      // Killed by the signal: exitCode stays null, signalCode is set.
      if (dev.exitCode === null && dev.signalCode === null && dev.pid) {
        try {
          process.kill(-dev.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      fs.writeFileSync(path.join(RESULTS, 'kind-skaffold-dev.log'), dev.output());
    }
  });
  it("helm uninstall leaves nothing of the release but the dev servers' data volumes", async () => {
    const claims = kc.json<{ items: { metadata: { name: string } }[] }>(['get', 'pvc', '-n', NS]).items.map((c) => `persistentvolumeclaim/${c.metadata.name}`);
    kc.ok(kc.helm(['uninstall', RELEASE, '-n', NS, '--wait', '--timeout', '5m']), 'helm uninstall');
    await until('the release pods gone', () => releasePods(kc, NS), (p) => p.length === 0, 180_000);
    const types = (namespaced: boolean) =>
      kc.ok(kc.kubectl(['api-resources', '--verbs=list', ...(namespaced ? ['--namespaced'] : []), '-o', 'name']), 'api-resources').split('\n').filter((t) => t && !t.startsWith('events'));
    // Of what carries the release's label, only the dev servers' volumes stay (a StatefulSet's
    // claims outlive it, so the data survives a reinstall; docs/helm-chart.md says how to delete them).
    const labelled = kc.ok(kc.kubectl(['get', types(false).join(','), '-A', '-l', `app.kubernetes.io/instance=${RELEASE}`, '-o', 'name']), 'get labelled');
    expect(labelled.trim().split('\n').filter(Boolean).sort()).toEqual([...claims].sort());
    const left = kc.ok(kc.kubectl(['get', types(true).join(','), '-n', NS, '-o', 'name']), 'get all').trim().split('\n').sort();
    record(RECORD, 'objects left in the namespace after helm uninstall', left.join('\n'));
    // Besides those: the namespace's own objects and the jobs applied with kubectl.
    const sample = (yaml.load(fs.readFileSync(SAMPLE, 'utf8')) as { metadata: { name: string } }).metadata.name;
    expect(left).toEqual(['configmap/kube-root-ca.crt', 'serviceaccount/default', `usergenerationjob.userforge.io/${sample}`, 'usergenerationjob.userforge.io/parallel', ...claims].sort());
  });
});
