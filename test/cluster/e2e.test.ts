/// <reference lib="dom" />
/**
 * End to end on a real single-node cluster (npm run cluster:up): the chart installed with the images
 * built here, the local stack's servers as its external servers, the operator scaling real consumer
 * pods for UserGenerationJobs, the dashboard pod in headless Chromium through the node's ingress
 * controller, Prometheus on the host discovering the pods, then helm upgrade and uninstall. Needs
 * root (the node); CI runs as root.
 */
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { MongoClient } from 'mongodb';
import { chromium, type Browser, type Page } from 'playwright-core';
import { jobIdFor } from '../../operator/src/api/v1alpha1/user-generation-job.types';
import { usersOfJob } from '../../operator/test/harness';
import { INGRESS_CLASS, INGRESS_NAMESPACE, INGRESS_POD_LABELS } from '../../scripts/cluster/ingress';
import { CHART } from '../chart/helm';
import { cluster, ensureCluster, freeNodePorts, importAppImages, record, requireRoot, RESULTS, startPodStack, writeValues } from './harness';
import { pollJob, promQuery, readLoad, watchJobEvents } from './observe';
import { COMPONENT, consumerReplicas, e2eValues, getUgj, isReady, leaseHolder, RELEASE, releasePods, succeeded, ugj, until, type Pod } from './release';

jest.setTimeout(1_800_000);

const NS = 'userforge-e2e';
const N = 200_000;
/** Larger, so the job is still well under way once the operator's 3 consumers are Ready (1 consumer alone may finish N first). */
const SECOND_N = 2 * N;
const KUBECTL_RECORD = path.join(RESULTS, 'cluster-e2e-kubectl.txt');
/** The Ingress's host. No DNS here knows it: requests name it and connect to the node address. */
const HOST = 'userforge.localtest.me';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let node: Awaited<ReturnType<typeof ensureCluster>> | undefined;
let stack: Awaited<ReturnType<typeof startPodStack>> | undefined;
let k: ReturnType<typeof cluster>;
let valuesFile: string;
/** The API's NodePort: the reference the ingress is measured against. */
let api: string;
/** The dashboard and the API through the Ingress, as users reach them. */
let site: string;
let via: { address: string };
let browser: Browser | undefined;
let page: Page;

const getPodsUgj = () => k.ok(k.kubectl(['get', 'pods,ugj', '-n', NS, '-o', 'wide']), 'kubectl get pods,ugj');
const mongoUrl = () => stack!.env.MONGO_URL;

async function platformJobs(): Promise<string[]> {
  const client = await MongoClient.connect(mongoUrl());
  try {
    return (await client.db().collection('jobs').find({}, { projection: { _id: 1 } }).toArray()).map((j) => String(j._id));
  } finally {
    await client.close();
  }
}

beforeAll(async () => {
  requireRoot();
  fs.rmSync(KUBECTL_RECORD, { force: true });
  const started = Date.now();
  node = await ensureCluster();
  k = cluster(node.c);
  const { tag } = importAppImages(node.c);
  stack = await startPodStack(node.c);
  // A run that died half way left its release and namespace behind: both are this test's own.
  k.helm(['uninstall', RELEASE, '-n', NS, '--ignore-not-found', '--wait']);
  k.kubectl(['delete', 'namespace', NS, '--ignore-not-found', '--wait', '--timeout=180s']);
  // Pods must meet the `restricted` Pod Security Standard: the chart's securityContext is checked by admission.
  k.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } });
  const at = node.c.USERFORGE_CLUSTER_ADDRESS;
  const [apiNodePort] = freeNodePorts(k, 1) as [number];
  api = `http://${at}:${apiNodePort}`;
  const ingressPort = node.c.USERFORGE_CLUSTER_INGRESS_PORT;
  site = `http://${HOST}${ingressPort === 80 ? '' : `:${ingressPort}`}`;
  via = { address: at };
  const ingress = { className: INGRESS_CLASS, namespace: INGRESS_NAMESPACE, podLabels: INGRESS_POD_LABELS };
  const values = e2eValues({ tag, at, host: HOST, ingress, apiNodePort, ...stack.forPods, apiServerPort: node.c.USERFORGE_CLUSTER_APISERVER_PORT });
  valuesFile = writeValues(path.join(node.c.dir, 'e2e-values.yaml'), values);
  k.ok(k.helm(['install', RELEASE, CHART, '-n', NS, '-f', valuesFile, '--wait', '--timeout', '10m']), 'helm install');
  process.stderr.write(`[cluster-e2e] cluster ${node.startedHere ? 'started' : 'already up'}; ready to test after ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}, 3_600_000);

afterAll(async () => {
  await browser?.close();
  if (k) k.kubectl(['delete', 'namespace', NS, '--ignore-not-found', '--wait', '--timeout=180s']);
  await stack?.stop();
  await node?.stop();
}, 600_000);

describe('userforge on a real single-node cluster', () => {
  it('brings every pod of the release to Ready with the chart\'s own probes and securityContext; one operator holds the Lease', async () => {
    const pods = releasePods(k, NS);
    const count = (c: string) => pods.filter((p) => p.metadata.labels[COMPONENT] === c && isReady(p)).length;
    expect({ api: count('api'), consumer: count('consumer'), operator: count('operator'), dashboard: count('dashboard') }).toEqual({ api: 2, consumer: 1, operator: 2, dashboard: 1 });
    expect(pods.every(isReady)).toBe(true);

    const manifest = yaml.loadAll(k.ok(k.helm(['get', 'manifest', RELEASE, '-n', NS]), 'helm get manifest')) as { kind?: string; spec?: { template: { metadata: { labels: Record<string, string> }; spec: Pod['spec'] } } }[];
    const deployments = manifest.filter((o) => o?.kind === 'Deployment');
    expect(deployments).toHaveLength(4);
    for (const d of deployments) {
      const template = d.spec!.template;
      const live = pods.filter((p) => p.metadata.labels[COMPONENT] === template.metadata.labels[COMPONENT]);
      for (const pod of live) {
        expect(pod.spec.securityContext).toMatchObject(template.spec.securityContext!);
        for (const want of template.spec.containers) {
          const got = pod.spec.containers.find((c) => c.name === want.name)!;
          expect(got.image).toBe(want.image);
          expect(got.securityContext).toMatchObject(want.securityContext!);
          expect(got.readinessProbe).toMatchObject(want.readinessProbe!);
          expect(got.livenessProbe).toMatchObject(want.livenessProbe!);
          if (want.startupProbe) expect(got.startupProbe).toMatchObject(want.startupProbe);
        }
      }
    }

    const operators = releasePods(k, NS, 'operator').map((p) => p.metadata.name);
    const holder = await until('an operator holds the Lease', () => leaseHolder(k, NS), (h) => h !== undefined, 60_000);
    expect(operators).toContain(holder);

    // The node's ingress controller took both Ingresses of the release: it wrote where it serves them.
    const addresses = await until(
      'the Ingresses served',
      () => k.json<{ items: { metadata: { name: string }; status?: { loadBalancer?: { ingress?: { ip?: string }[] } } }[] }>(['get', 'ingress', '-n', NS]).items.map((i) => i.status?.loadBalancer?.ingress?.[0]?.ip),
      (ips) => ips.length === 2 && ips.every((ip) => ip !== undefined),
      60_000,
    );
    expect(addresses).toEqual([node!.c.USERFORGE_CLUSTER_ADDRESS, node!.c.USERFORGE_CLUSTER_ADDRESS]);
    record(KUBECTL_RECORD, 'kubectl get ingress', k.ok(k.kubectl(['get', 'ingress', '-n', NS]), 'kubectl get ingress'));
  });

  it("passes helm test: the chart's test pod reaches the API through its Service and finds the CRD served", () => {
    // No --logs: with hook-succeeded the pod is deleted before Helm could read them. The pod's exit
    // code is the check's verdict (its script exits non-zero on any failed check).
    const r = k.helm(['test', RELEASE, '-n', NS, '--timeout', '5m']);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    expect(r.out).toMatch(/TEST SUITE:\s+\S+-test\s+Last Started:[\s\S]*Phase:\s+Succeeded/);
    // hook-succeeded: the pod is gone once it passed.
    expect(k.kubectl(['get', 'pods', '-n', NS, '-l', `app.kubernetes.io/instance=${RELEASE},${COMPONENT}=test`, '-o', 'name']).out.trim()).toBe('');
  });

  it('is scraped by Prometheus on the host through the API server: up == 1 for every app pod, one operator leads', async () => {
    const appPods = () => releasePods(k, NS).filter((p) => p.metadata.labels[COMPONENT] !== 'dashboard').map((p) => p.metadata.name).sort();
    const up = await until(
      'every app pod scraped',
      async () => (await promQuery(stack!.prometheus, `up{job="kubernetes-pods",namespace="${NS}"}`)).filter((s) => s.value[1] === '1').map((s) => s.metric.pod!).sort(),
      (scraped) => appPods().every((p) => scraped.includes(p)),
      120_000,
      2_000,
    );
    expect(up).toEqual(expect.arrayContaining(appPods()));
    expect(appPods()).toHaveLength(5);
    const leaders = await until('the leader gauge of both operators', () => promQuery(stack!.prometheus, `userforge_operator_leader{namespace="${NS}"}`), (s) => s.length === 2, 60_000, 2_000);
    expect(leaders.map((s) => Number(s.value[1])).sort()).toEqual([0, 1]);
    expect(leaders.find((s) => s.value[1] === '1')!.metric.pod).toBe(leaseHolder(k, NS));
  });

  it(`generates ${N.toLocaleString('en')} users with parallelism 3: the operator scales the consumers to 3 and back, the dashboard pod shows live progress, SSE through the ingress arrives within 2 s`, async () => {
    const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-proxy-server', `--host-resolver-rules=MAP ${HOST} ${via.address}`];
    browser = await chromium.launch({ executablePath: CHROMIUM, args });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${site}/#/jobs`);
    await page.getByRole('button', { name: 'Start job' }).waitFor();
    const sse = watchJobEvents(`${site}/v1/events`, via);

    k.apply(ugj(NS, 'first', N, 3));
    const uid = getUgj(k, NS, 'first').metadata.uid!;
    const jobId = jobIdFor(uid);
    const rest = pollJob(`${api}/v1/jobs/${jobId}`);
    let readyMax = 0;
    const shown = new Set<number>();
    let recordedMidJob = false;
    const final = await until('the first job Succeeded', async () => {
      readyMax = Math.max(readyMax, consumerReplicas(k, NS).ready);
      const values = await page.$$eval('[role="progressbar"]', (bars) => bars.map((b) => Number(b.getAttribute('aria-valuenow'))));
      for (const v of values) shown.add(v);
      const u = getUgj(k, NS, 'first');
      if (!recordedMidJob && (u.status?.usersStored ?? 0) > 0 && !succeeded(u)) {
        record(KUBECTL_RECORD, 'kubectl get pods,ugj -o wide (first job running)', getPodsUgj());
        recordedMidJob = true;
      }
      return u;
    }, succeeded, 900_000, 500);
    expect(readyMax).toBe(3);
    expect(final.status).toMatchObject({ jobId, usersStored: N, progress: '100%' });
    expect(await usersOfJob(mongoUrl(), jobId)).toEqual({ users: N, emails: N, ids: N });

    // The dashboard served by its pod followed the job: intermediate values, then 100 %.
    await page.waitForFunction(() => document.querySelector('[role="progressbar"]')?.getAttribute('aria-valuenow') === '100', undefined, { timeout: 30_000 });
    await page.screenshot({ path: path.join(RESULTS, 'screenshots', 'cluster-jobs.png'), fullPage: true });
    expect([...shown].filter((v) => v > 0 && v < 100).length).toBeGreaterThanOrEqual(2);

    // Every event of the job came through the ingress within 2 s of the change being readable from the API itself.
    await until('the final event', () => sse.of(jobId), (e) => e.some((x) => x.job.state === 'succeeded'), 10_000, 200);
    await sse.close();
    await rest.stop();
    const events = sse.of(jobId);
    const lags = events.map((e) => e.at - rest.firstShown(e.job));
    process.stderr.write(`[cluster-e2e] ${events.length} SSE events of the job through the ingress; arrival after the API first showed the change: max ${Math.max(...lags)} ms (${events.map((e, i) => `${e.job.state}/${e.job.usersStored}:${lags[i]}`).join(' ')})\n`);
    expect(events.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...lags)).toBeLessThanOrEqual(2_000);

    // Idle again: the operator brings the consumers back to operator.minConsumers.
    await until('consumers back to the minimum', () => consumerReplicas(k, NS), (r) => r.spec === 1 && r.ready === 1, 180_000);
    await until('surplus consumer pods gone', () => releasePods(k, NS, 'consumer'), (p) => p.length === 1, 120_000);
    record(KUBECTL_RECORD, 'kubectl get pods,ugj -o wide (first job done, consumers back to 1)', getPodsUgj());
  });

  it('still stores exactly every user of one job when a consumer pod and then the leading operator pod are deleted mid-job', async () => {
    k.apply(ugj(NS, 'second', SECOND_N, 3));
    const jobId = jobIdFor(getUgj(k, NS, 'second').metadata.uid!);
    const running = (stored: number) => stored > 0 && stored < SECOND_N * 0.6;
    await until('the second job under way on 3 consumers', () => ({ r: consumerReplicas(k, NS), s: getUgj(k, NS, 'second').status?.usersStored ?? 0 }), ({ r, s }) => r.ready === 3 && running(s), 600_000, 500);

    const victim = releasePods(k, NS, 'consumer').find(isReady)!.metadata.name;
    k.ok(k.kubectl(['delete', 'pod', victim, '-n', NS, '--wait=false']), 'delete a consumer pod');
    const leader = leaseHolder(k, NS)!;
    const standby = releasePods(k, NS, 'operator').map((p) => p.metadata.name).find((n) => n !== leader)!;
    const atLeaderDeletion = getUgj(k, NS, 'second');
    k.ok(k.kubectl(['delete', 'pod', leader, '-n', NS, '--wait=false']), 'delete the leading operator pod');
    expect(succeeded(atLeaderDeletion)).toBe(false);
    expect(atLeaderDeletion.status?.usersStored ?? 0).toBeLessThan(SECOND_N);
    record(KUBECTL_RECORD, `kubectl get pods,ugj -o wide (second job: consumer ${victim} and leader ${leader} deleted)`, getPodsUgj());

    await until('the standby operator takes the Lease', () => leaseHolder(k, NS), (h) => h === standby, 120_000, 500);
    const final = await until('the second job Succeeded', () => getUgj(k, NS, 'second'), succeeded, 900_000, 1_000);
    expect(final.status).toMatchObject({ jobId, usersStored: SECOND_N });
    expect(await usersOfJob(mongoUrl(), jobId)).toEqual({ users: SECOND_N, emails: SECOND_N, ids: SECOND_N });
    expect((await platformJobs()).sort()).toEqual([jobIdFor(getUgj(k, NS, 'first').metadata.uid!), jobId].sort());
    const replaced = await until('two operators Ready again', () => releasePods(k, NS, 'operator').filter(isReady).map((p) => p.metadata.name), (n) => n.length === 2, 180_000);
    expect(replaced).not.toContain(leader);
    await until('consumers back to the minimum', () => consumerReplicas(k, NS), (r) => r.spec === 1 && r.ready === 1, 180_000);
    record(KUBECTL_RECORD, 'kubectl get pods,ugj -o wide (second job done)', getPodsUgj());
  });

  it('helm upgrade rolls the api while cached page reads through the ingress see no error', async () => {
    const before = releasePods(k, NS, 'api').map((p) => p.metadata.name);
    const load = readLoad(`${site}/v1/users?page=1&limit=10`, via);
    await new Promise((r) => setTimeout(r, 3_000));
    k.ok(k.helm(['upgrade', RELEASE, CHART, '-n', NS, '-f', valuesFile, '--set', 'api.logLevel=warn', '--wait', '--timeout', '10m']), 'helm upgrade');
    await new Promise((r) => setTimeout(r, 3_000));
    const result = await load.stop();
    process.stderr.write(`[cluster-e2e] rollout load: ${result.requests} reads, ${result.hits} cache hits, ${result.errors.length} errors\n`);
    const after = releasePods(k, NS, 'api').filter(isReady).map((p) => p.metadata.name);
    expect(after).toHaveLength(2);
    expect(after.filter((n) => before.includes(n))).toEqual([]);
    expect(result.errors).toEqual([]);
    expect(result.requests).toBeGreaterThan(100);
    expect(result.hits).toBeGreaterThan(0);
  });

  it('helm uninstall leaves nothing of the release', async () => {
    record(KUBECTL_RECORD, 'kubectl get pods,ugj -o wide (before helm uninstall)', getPodsUgj());
    k.ok(k.helm(['uninstall', RELEASE, '-n', NS, '--wait', '--timeout', '5m']), 'helm uninstall');
    await until('the release pods gone', () => releasePods(k, NS), (p) => p.length === 0, 180_000);
    const types = k.ok(k.kubectl(['api-resources', '--verbs=list', '-o', 'name']), 'api-resources').split('\n').filter((t) => t && !t.startsWith('events'));
    const labelled = k.ok(k.kubectl(['get', types.join(','), '-A', '-l', `app.kubernetes.io/instance=${RELEASE}`, '-o', 'name']), 'get labelled');
    expect(labelled.trim()).toBe('');
    expect(k.ok(k.helm(['list', '-n', NS, '-a', '-q']), 'helm list').trim()).toBe('');
    const namespaced = k.ok(k.kubectl(['api-resources', '--verbs=list', '--namespaced', '-o', 'name']), 'api-resources').split('\n').filter((t) => t && !t.startsWith('events'));
    const left = k.ok(k.kubectl(['get', namespaced.join(','), '-n', NS, '-o', 'name']), 'get all').trim().split('\n').sort();
    record(KUBECTL_RECORD, 'objects left in the namespace after helm uninstall', left.join('\n'));
    // What remains is not the release's: the namespace's own objects and the jobs this test applied
    // (the operator's Lease is part of the release, so it went with it).
    expect(left).toEqual(['configmap/kube-root-ca.crt', 'serviceaccount/default', 'usergenerationjob.userforge.io/first', 'usergenerationjob.userforge.io/second'].sort());
  });
});
