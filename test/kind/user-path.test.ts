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
import { usersOfJob } from '../../operator/test/harness';
import { busyboxImage } from '../../scripts/cluster/images';
import { installAddons, kindIngressOrigin } from '../../scripts/kind/addons';
import { kindDown, kindKubeconfig, kindStatus, kindUp, loadImages, loadKindSettings } from '../../scripts/kind/kind';
import { portForward, type PortForward } from '../../scripts/kind/port-forward';
import { MONITORING_NAMESPACE } from '../../scripts/monitoring/install';
import { REPO_ROOT } from '../../scripts/stack/settings';
import { kubeClient, record, RESULTS } from '../cluster/harness';
import { promQuery } from '../cluster/observe';
import { COMPONENT, getUgj, isReady, RELEASE, succeeded, until, type Pod } from '../cluster/release';

jest.setTimeout(3_600_000);

const NS = 'userforge';
const HOST = 'userforge.localtest.me';
const SAMPLE = path.join(REPO_ROOT, 'k8s', 'samples', 'user-generation-job.yaml');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const RECORD = path.join(RESULTS, 'kind-user-path.txt');
const OUTSIDER_NS = 'userforge-outsider';
const skip = process.getuid?.() !== 0 ? 'kind runs on a Docker engine of its own, which needs root' : undefined;
const suite = skip ? describe.skip : describe;
const log = (m: string) => process.stderr.write(`[kind-user-path] ${m}\n`);

const k = loadKindSettings();
let kc: ReturnType<typeof kubeClient>;
const forwards: PortForward[] = [];
let browser: Browser | undefined;
/** A cluster this file started is deleted at its end; one that was running is left as it was. */
let startedHere = false;

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
    const busybox = busyboxImage(k.cluster, log);
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
    const prometheus = await portForward(kc.kubectlBin, kc.kubeconfig, MONITORING_NAMESPACE, 'svc/prometheus-operated', 9090);
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

    // UserforgeTargetDown: the operator's ServiceMonitor pointed at a path that answers 404 makes its
    // target fail (`up == 0`) while the pod runs; pointing it back resolves the alert.
    const monitor = `${RELEASE}-operator`;
    const original = kc.json<{ spec: { endpoints: { path?: string }[] } }>(['get', 'servicemonitor', monitor, '-n', NS]).spec.endpoints[0]!.path ?? '/metrics';
    const setPath = (p: string) => kc.ok(kc.kubectl(['patch', 'servicemonitor', monitor, '-n', NS, '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/spec/endpoints/0/path', value: p }])]), 'patch the ServiceMonitor');
    const alerts = async () => ((await (await fetch(`${prometheus.url}/api/v1/alerts`)).json()) as { data: { alerts: { labels: Record<string, string>; state: string }[] } }).data.alerts.filter((a) => a.labels.alertname === 'UserforgeTargetDown' && a.labels.namespace === NS);
    setPath('/not-metrics');
    try {
      await until('UserforgeTargetDown firing', alerts, (a) => a.some((x) => x.state === 'firing'), 420_000, 5_000);
    } finally {
      setPath(original);
    }
    await until('UserforgeTargetDown resolved', alerts, (a) => a.length === 0, 300_000, 5_000);
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
});
