/**
 * Generation on Kubernetes against the local pipeline, in one run on one machine (root: kind runs on a
 * Docker engine of its own):
 *   (a) the local stack's pipeline (`bench:generate --pipeline-only`, 2 consumers), kind down;
 *   (b) then, the local stack stopped, kind with the chart's own servers, deployed as a user does
 *       (`npm run skaffold -- run`, the dev values), a UserGenerationJob of --users with parallelism
 *       2, its users audited in the in-cluster database (duplicates and holes), CPU seconds by pod
 *       and container from the kubelet.
 * Each side runs an unmeasured warm-up job first and has the machine to itself; the machine's own
 * speed is probed just before and after each side's job (`cpuSpeedRatio`, `memorySpeedRatio`). Ends with one JSON
 * line. Usage: npm run bench:cluster -- [--users 1000000] [--warmup-users 200000] [--keep-cluster]
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import yaml from 'js-yaml';
import { MongoClient } from 'mongodb';
import { REPO_ROOT, installedKubernetes, kindDown, kindKubeconfig, kindStatus, kindUp, loadKindSettings, portForward, type PortForward } from '@userforge/devstack';
import { jobIdFor, type UserGenerationJob } from '../../operator/src/api/v1alpha1/user-generation-job.types';
import { auditJob } from './audit-job';
import { jobTimeline } from './job-timeline';
import { cpuCounters, cpuShares, systemShares } from './cpu-usage';
import { metricSum } from './metrics-text';
import { machineSpeed, type MachineSpeed } from './machine-speed';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '1000000' },
    parallelism: { type: 'string', default: '2' },
    /** Users of an unmeasured job each side runs first: a just-started stack's first job costs about a third more (docs/benchmarks.md). */
    'warmup-users': { type: 'string', default: '200000' },
    /** Leave the cluster (and the release) running at the end, for a look around. */
    'keep-cluster': { type: 'boolean', default: false },
  },
});
const USERS = Number(values.users);
const PARALLELISM = Number(values.parallelism);
const WARMUP_USERS = Number(values['warmup-users']);
for (const [k, v] of Object.entries({ USERS, PARALLELISM })) if (!Number.isInteger(v) || v < 1) throw new Error(`--${k.toLowerCase()} must be a positive integer`);
if (!Number.isInteger(WARMUP_USERS) || WARMUP_USERS < 0) throw new Error('--warmup-users must be a whole number');
if (process.getuid?.() !== 0) throw new Error('bench:cluster runs kind on a Docker engine of its own, which needs root');

const NS = 'userforge';
const RELEASE = 'userforge';
const NAME = `bench-${Date.now().toString(36)}`;
const log = (m: string) => console.log(`[bench-cluster] ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'userforge-bench-cluster-'));

/**
 * One side's measured job, after 10 s of quiet (whatever the deploy or the warm-up started settles),
 * with the machine's speed just before it (its stack idle) and just after it (when its servers may
 * still be writing: only the first goes into the ratios). Two sides are comparable only when these
 * agree: the same containers have cost 1.2–1.7× more per user from one run to the next.
 */
async function withMachineSpeed<T>(side: string, measure: () => Promise<T>): Promise<{ result: T; speed: MachineSpeed }> {
  await sleep(10_000);
  const before = machineSpeed();
  const result = await measure();
  log(`${side}: machine speed ${JSON.stringify({ before, after: machineSpeed() })}`);
  return { result, speed: before };
}

const k = loadKindSettings();
const kubectlBin = () => {
  const kube = installedKubernetes(k.stack);
  if (!kube) throw new Error('kubectl is not built: `npm run kind:up` builds it');
  return kube.bin('kubectl');
};

function kubectl(args: string[], input?: string): string {
  const r = spawnSync(kubectlBin(), ['--kubeconfig', kindKubeconfig(k), ...args], { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr || r.error}`);
  return r.stdout;
}
const json = <T>(args: string[]) => JSON.parse(kubectl([...args, '-o', 'json'])) as T;

/** An npm script as a user runs it; its output goes to a log file, and resolves with the output on exit 0. */
function npmRun(script: string, args: string[], file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const out = fs.openSync(path.join(logDir, file), 'w');
    const child = spawn('npm', ['run', '--silent', script, '--', ...args], { cwd: REPO_ROOT, stdio: ['ignore', out, out] });
    child.on('exit', (code) => {
      fs.closeSync(out);
      const output = fs.readFileSync(path.join(logDir, file), 'utf8');
      if (code === 0) resolve(output);
      else reject(new Error(`npm run ${script} exited ${code}; log: ${path.join(logDir, file)}\n${output.slice(-3000)}`));
    });
  });
}

interface PodItem {
  metadata: { name: string; labels?: Record<string, string> };
  status?: { containerStatuses?: { name: string; containerID?: string }[] };
}

interface Summary {
  node: { cpu?: { usageCoreNanoSeconds?: number } };
  pods: {
    podRef: { name: string; namespace: string };
    cpu?: { usageCoreNanoSeconds?: number };
    containers?: { name: string; cpu?: { usageCoreNanoSeconds?: number }; memory?: { rssBytes?: number; workingSetBytes?: number } }[];
  }[];
}

/**
 * Reads from the API server through one `kubectl proxy` kept for the run. Spawning kubectl for each
 * read (three every 2 s, more before the first user) cost about 0.1 CPU-s a time: CPU taken from the
 * job being measured on a 2-core machine.
 */
interface ApiReader {
  get<T>(apiPath: string): Promise<T>;
  close(): void;
}

function startProxy(): Promise<ApiReader> {
  const child = spawn(kubectlBin(), ['--kubeconfig', kindKubeconfig(k), 'proxy', '--port=0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`kubectl proxy did not start: ${out}`)), 30_000);
    child.on('exit', (code) => reject(new Error(`kubectl proxy exited ${code}: ${out}`)));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const port = /Starting to serve on 127\.0\.0\.1:(\d+)/.exec(out)?.[1];
      if (!port) return;
      clearTimeout(timer);
      resolve({
        async get<T>(apiPath: string): Promise<T> {
          const res = await fetch(`http://127.0.0.1:${port}${apiPath}`);
          if (!res.ok) throw new Error(`GET ${apiPath}: ${res.status} ${await res.text()}`);
          return (await res.json()) as T;
        },
        close: () => child.kill('SIGTERM'),
      });
    });
  });
}

/**
 * CPU of every container of the release, cumulative, from the kubelet's summary (the node's cgroups).
 * Sampled through the run: a consumer scaled away at the end still counts with its last sample.
 */
class ContainerCpu {
  private readonly last = new Map<string, number>();
  private readonly peakRss = new Map<string, number>();
  private readonly roles = new Map<string, string>();
  /** The node's own counter and every other namespace's pods, to show where the rest of the CPU went. */
  private readonly outside = new Map<string, number>();
  /** The consumer pods at the last sample. */
  consumerPods: string[] = [];
  /** The release's pods at the last sample. */
  pods: PodItem[] = [];

  constructor(
    private readonly api: ApiReader,
    private readonly node: string,
  ) {}

  async sample(): Promise<void> {
    const pods = (await this.api.get<{ items: PodItem[] }>(`/api/v1/namespaces/${NS}/pods`)).items;
    this.pods = pods;
    for (const p of pods) this.roles.set(p.metadata.name, p.metadata.labels?.['app.kubernetes.io/component'] ?? p.metadata.name);
    this.consumerPods = pods.filter((p) => p.metadata.labels?.['app.kubernetes.io/component'] === 'consumer').map((p) => p.metadata.name);
    const summary = await this.api.get<Summary>(`/api/v1/nodes/${this.node}/proxy/stats/summary`);
    const nodeCpu = summary.node.cpu?.usageCoreNanoSeconds;
    if (nodeCpu !== undefined) this.outside.set('node', nodeCpu);
    for (const pod of summary.pods.filter((p) => p.podRef.namespace !== NS)) {
      const podCpu = pod.cpu?.usageCoreNanoSeconds;
      if (podCpu !== undefined) this.outside.set(`pods/${pod.podRef.namespace}/${pod.podRef.name}`, podCpu);
    }
    for (const pod of summary.pods.filter((p) => p.podRef.namespace === NS)) {
      for (const c of pod.containers ?? []) {
        const key = `${pod.podRef.name}/${c.name}`;
        const cpu = c.cpu?.usageCoreNanoSeconds;
        if (cpu !== undefined) this.last.set(key, cpu);
        const rss = c.memory?.rssBytes ?? c.memory?.workingSetBytes;
        if (rss !== undefined) this.peakRss.set(key, Math.max(this.peakRss.get(key) ?? 0, rss));
      }
    }
  }

  /** CPU seconds by role (`component/container`) since the baseline. */
  byRole(baseline: Map<string, number>): Record<string, number> {
    const totals: Record<string, number> = {};
    for (const [key, cpu] of this.last) {
      const [pod, container] = key.split('/') as [string, string];
      const role = `${this.roles.get(pod) ?? pod}/${container}`;
      totals[role] = (totals[role] ?? 0) + (cpu - (baseline.get(key) ?? 0)) / 1e9;
    }
    return Object.fromEntries(Object.entries(totals).filter(([, v]) => v >= 0.05).sort((a, b) => b[1] - a[1]).map(([r, v]) => [r, Number(v.toFixed(1))]));
  }

  /** The counters as last sampled: a baseline for byRole and onNode (containers started later count from zero). */
  snapshot(): Map<string, number> {
    return new Map([...this.last, ...[...this.outside].map(([key, v]) => [`outside:${key}`, v] as const)]);
  }

  /** CPU seconds of the whole node since the baseline: the release's pods, other pods (kube-system, add-ons), and the rest (kubelet, containerd). */
  onNode(baseline: Map<string, number>): Record<string, number> {
    const since = (key: string, now: number) => (now - (baseline.get(key) ?? 0)) / 1e9;
    const release = [...this.last].reduce((sum, [key, v]) => sum + since(key, v), 0);
    let otherPods = 0;
    for (const [key, v] of this.outside) if (key.startsWith('pods/')) otherPods += since(`outside:${key}`, v);
    const node = since('outside:node', this.outside.get('node') ?? 0);
    const r = (x: number) => Number(x.toFixed(1));
    return { node: r(node), release: r(release), otherPods: r(otherPods), outsidePods: r(node - release - otherPods) };
  }

  peakRssMb(component: string): number {
    let peak = 0;
    for (const [key, bytes] of this.peakRss) if (this.roles.get(key.split('/')[0]!) === component) peak = Math.max(peak, bytes);
    return peak / 1024 / 1024;
  }
}

/**
 * The consumers' own counters, read from each consumer pod through a port-forward of its own (the
 * chart's NetworkPolicy admits only scrapers to the metrics port; a port-forward enters the pod's
 * network namespace from the kubelet). Sampled through the run and kept per pod: the operator scales
 * a consumer away as soon as the job is done.
 */
class ConsumerCounters {
  private static readonly NAMES = ['userforge_users_generated_total', 'userforge_users_already_stored_total', 'userforge_chunk_failures_total'] as const;
  private readonly forwards = new Map<string, Promise<PortForward | undefined>>();
  private readonly last = new Map<string, Record<string, number>>();

  async sample(pods: string[]): Promise<void> {
    for (const pod of pods) {
      if (!this.forwards.has(pod)) this.forwards.set(pod, portForward(kubectlBin(), kindKubeconfig(k), NS, `pod/${pod}`, 9101).catch(() => undefined));
      const forward = await this.forwards.get(pod)!;
      if (!forward) {
        this.forwards.delete(pod); // a pod still starting: try again at the next sample
        continue;
      }
      const text = await fetch(`${forward.url}/metrics`).then((r) => r.text(), () => undefined);
      if (text === undefined) continue;
      const values: Record<string, number> = {};
      for (const name of ConsumerCounters.NAMES) values[name] = metricSum(text, name);
      this.last.set(pod, values);
    }
  }

  /** Each counter summed over every consumer pod seen, as last read. */
  totals(): Record<string, number> {
    const totals: Record<string, number> = {};
    for (const values of this.last.values()) for (const [name, v] of Object.entries(values)) totals[name.replace(/^userforge_/, '')] = (totals[name.replace(/^userforge_/, '')] ?? 0) + v;
    return totals;
  }

  async close(): Promise<void> {
    for (const forward of this.forwards.values()) (await forward)?.close();
  }
}

/**
 * User and system CPU of each of the release's containers, from its cgroup as the host sees it (kind's
 * node is a container whose cgroups nest in the host's): the kubelet reports only the sum. cgroup v2's
 * cpu.stat (microseconds) or, on a v1 host, cpuacct.stat (clock ticks, 100 a second). Read from the
 * host, so it costs the node nothing. Empty where the cgroups cannot be found.
 */
const CgroupLayout = fs.existsSync('/sys/fs/cgroup/cgroup.controllers')
  ? {
      root: '/sys/fs/cgroup',
      read(dir: string) {
        const stat = fs.readFileSync(path.join(dir, 'cpu.stat'), 'utf8');
        return { user: Number(/^user_usec (\d+)/m.exec(stat)?.[1]), system: Number(/^system_usec (\d+)/m.exec(stat)?.[1]) };
      },
    }
  : {
      root: '/sys/fs/cgroup/cpuacct',
      read(dir: string) {
        const stat = fs.readFileSync(path.join(dir, 'cpuacct.stat'), 'utf8');
        const usec = (ticks: string | undefined) => Number(ticks) * 10_000;
        return { user: usec(/^user (\d+)/m.exec(stat)?.[1]), system: usec(/^system (\d+)/m.exec(stat)?.[1]) };
      },
    };

class ContainerCgroups {
  private readonly dirs = new Map<string, string | null>();
  /** containerd id → role, and the first and last user/system microseconds read. */
  private readonly roles = new Map<string, string>();
  private readonly first = new Map<string, { user: number; system: number }>();
  private readonly last = new Map<string, { user: number; system: number }>();

  private find(id: string): string | null {
    if (this.dirs.has(id)) return this.dirs.get(id)!;
    const want = new Set([`cri-containerd-${id}.scope`, id]);
    let found: string | null = null;
    const walk = (dir: string, depth: number) => {
      if (found || depth > 12) return;
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        if (!e.isDirectory()) continue;
        if (want.has(e.name)) {
          found = path.join(dir, e.name);
          return;
        }
        walk(path.join(dir, e.name), depth + 1);
      }
    };
    walk(CgroupLayout.root, 0);
    this.dirs.set(id, found);
    return found;
  }

  sample(pods: { metadata: { labels?: Record<string, string> }; status?: { containerStatuses?: { name: string; containerID?: string }[] } }[]): void {
    for (const pod of pods) {
      const component = pod.metadata.labels?.['app.kubernetes.io/component'] ?? 'other';
      for (const c of pod.status?.containerStatuses ?? []) {
        const id = c.containerID?.replace(/^containerd:\/\//, '');
        if (!id) continue;
        const dir = this.find(id);
        if (!dir) continue;
        try {
          const { user, system } = CgroupLayout.read(dir);
          this.roles.set(id, `${component}/${c.name}`);
          if (!this.first.has(id)) this.first.set(id, { user, system });
          this.last.set(id, { user, system });
        } catch {
          // The container ended: its last reading stands.
        }
      }
    }
  }

  /** Share of each role's CPU spent in the kernel since the first reading (containers started later count from their first). */
  systemShareByRole(): Record<string, number> {
    const totals: Record<string, { all: number; system: number }> = {};
    for (const [id, last] of this.last) {
      const first = this.first.get(id)!;
      const t = (totals[this.roles.get(id)!] ??= { all: 0, system: 0 });
      t.all += last.user - first.user + (last.system - first.system);
      t.system += last.system - first.system;
    }
    return systemShares(totals, 50_000);
  }
}

/** The measured job: applied, followed until it succeeds, CPU sampled from just before the apply. */
async function runJob(api: ApiReader, cpu: ContainerCpu, cgroups: ContainerCgroups, counters: ConsumerCounters) {
  await cpu.sample();
  cgroups.sample(cpu.pods);
  const baseline = cpu.snapshot();
  const ugj = { apiVersion: 'userforge.io/v1alpha1', kind: 'UserGenerationJob', metadata: { name: NAME, namespace: NS }, spec: { count: USERS, parallelism: PARALLELISM } };
  const machineBefore = cpuCounters();
  const applied = Date.now();
  kubectl(['apply', '-f', '-'], yaml.dump(ugj));
  log(`applied ${NAME}: ${USERS} users, parallelism ${PARALLELISM}`);
  let applyToFirstUserMs: number | undefined;
  let last: UserGenerationJob;
  let lastLog = 0;
  let lastSample = 0;
  for (;;) {
    last = await api.get<UserGenerationJob>(`/apis/userforge.io/v1alpha1/namespaces/${NS}/usergenerationjobs/${NAME}`);
    const stored = last.status?.usersStored ?? 0;
    if (applyToFirstUserMs === undefined && stored > 0) applyToFirstUserMs = Date.now() - applied;
    const state = last.status?.state;
    if (state === 'Failed' || state === 'Cancelled') throw new Error(`${NAME} ended ${state}: ${JSON.stringify(last.status)}`);
    // Every 10 s: the kubelet's figures are cAdvisor's, refreshed every 10 s (its housekeeping
    // interval), so reading them more often returns the same numbers and costs the node CPU (the
    // summary through the API server, the consumers' counters through port-forwards) during the job.
    if (Date.now() - lastSample > 10_000) {
      await cpu.sample();
      cgroups.sample(cpu.pods);
      await counters.sample(cpu.consumerPods);
      lastSample = Date.now();
    }
    if (state === 'Succeeded') break;
    if (Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      log(`cluster: ${stored}/${USERS} users, ${last.status?.usersPerSec ?? 0} users/s`);
    }
    // Fast until the first user (that is what is measured), then slowly: polling takes CPU from the job.
    await sleep(applyToFirstUserMs === undefined ? 200 : 2_000);
  }
  await cpu.sample();
  cgroups.sample(cpu.pods);
  await counters.sample(cpu.consumerPods);
  const shares = cpuShares(machineBefore, cpuCounters());
  if (shares) log(`cluster: the machine's CPU during the job ${JSON.stringify(shares)}`);
  return { baseline, applied, last, applyToFirstUserMs };
}

async function cluster() {
  const started = Date.now();
  await kindUp(k, log);
  log(`kind ready after ${Math.round((Date.now() - started) / 1000)} s; deploying with npm run skaffold -- run (dev values: the chart's own servers)`);
  await npmRun('skaffold', ['run', '--status-check=true'], 'skaffold-run.log');
  const node = json<{ items: { metadata: { name: string } }[] }>(['get', 'nodes']).items[0]!.metadata.name;
  const api = await startProxy();
  const cpu = new ContainerCpu(api, node);
  const counters = new ConsumerCounters();
  const cgroups = new ContainerCgroups();
  try {
    if (WARMUP_USERS > 0) {
      const warmup = `${NAME}-warmup`;
      const startedWarmup = Date.now();
      kubectl(['apply', '-f', '-'], yaml.dump({ apiVersion: 'userforge.io/v1alpha1', kind: 'UserGenerationJob', metadata: { name: warmup, namespace: NS }, spec: { count: WARMUP_USERS, parallelism: PARALLELISM } }));
      for (let lastLog = Date.now(); ; ) {
        const status = (await api.get<UserGenerationJob>(`/apis/userforge.io/v1alpha1/namespaces/${NS}/usergenerationjobs/${warmup}`)).status;
        if (status?.state === 'Succeeded') break;
        if (status?.state === 'Failed' || status?.state === 'Cancelled') throw new Error(`warm-up job ${warmup} ended ${status.state}`);
        if (Date.now() - startedWarmup > 600_000) throw new Error(`warm-up job ${warmup} not done after 600 s: ${JSON.stringify(status)}`);
        if (Date.now() - lastLog > 10_000) {
          lastLog = Date.now();
          log(`cluster: warm-up ${status?.usersStored ?? 0}/${WARMUP_USERS} users`);
        }
        await sleep(2_000);
      }
      // The resource goes (its users stay: reclaimPolicy Retain), so the measured job is the only one the operator scales for.
      kubectl(['delete', 'ugj', warmup, '-n', NS, '--wait=true']);
      log(`cluster: warm-up job of ${WARMUP_USERS} users done in ${Math.round((Date.now() - startedWarmup) / 1000)} s (not measured)`);
    }
    const {
      result: { baseline, applied, last, applyToFirstUserMs },
      speed,
    } = await withMachineSpeed('cluster', () => runJob(api, cpu, cgroups, counters));
    const byRole = cpu.byRole(baseline);
    log(`cluster: system-time share by role ${JSON.stringify(cgroups.systemShareByRole())}`);
    // Users the consumers found already stored were generated, sent and refused again: redone work.
    log(`cluster: consumers' counters ${JSON.stringify(counters.totals())}`);
    log(`cluster: CPU seconds by role ${JSON.stringify(byRole)}`);
    log(`cluster: CPU seconds on the node ${JSON.stringify(cpu.onNode(baseline))}`);
    const jobId = jobIdFor(last.metadata.uid);
    const mongo = await portForward(kubectlBin(), kindKubeconfig(k), NS, `svc/${RELEASE}-dev-mongodb`, 27017);
    const client = await MongoClient.connect(`mongodb://127.0.0.1:${mongo.port}/userforge?directConnection=true`);
    try {
      const job = await client.db().collection<{ _id: string; seqBase: number; createdAt: Date; finishedAt?: Date }>('jobs').findOne({ _id: jobId });
      if (!job?.finishedAt) throw new Error(`platform job ${jobId} has no finishedAt`);
      const seconds = (job.finishedAt.getTime() - applied) / 1e3;
      // Start-up against throughput; the local run prints the same line from its POST.
      log(`cluster: timeline from kubectl apply ${JSON.stringify(await jobTimeline(client.db(), { id: jobId, createdAt: job.createdAt }, applied, USERS))}`);
      const audit = await auditJob(client.db(), jobId, job.seqBase, USERS);
      const consumerPeakRssMb = cpu.peakRssMb('consumer');
      log(`cluster: ${USERS} users in ${seconds.toFixed(1)} s; duplicates ${audit.duplicates}, missing ${audit.missing}; consumer peak RSS ${consumerPeakRssMb.toFixed(0)} MB`);
      kubectl(['delete', 'ugj', NAME, '-n', NS, '--wait=true']);
      return { usersPerSec: USERS / seconds, ...audit, consumerPeakRssMb, applyToFirstUserMs: applyToFirstUserMs ?? Number.NaN, byRole, speed };
    } finally {
      await client.close();
      mongo.close();
    }
  } finally {
    await counters.close();
    api.close();
    if (!values['keep-cluster']) await kindDown(k, log);
  }
}

/** The local stack's pipeline, same users, by its own benchmark, with kind down. */
async function local() {
  log('local: npm run stack:up (kind is down), then bench:generate --pipeline-only with 2 consumers');
  await npmRun('stack:up', [], 'stack-up.log');
  if (WARMUP_USERS > 0) {
    await npmRun('bench:generate', ['--users', String(WARMUP_USERS), '--consumers', '2', '--pipeline-only'], 'bench-generate-warmup.log');
    log(`local: warm-up job of ${WARMUP_USERS} users done (not measured)`);
  }
  const { result: out, speed } = await withMachineSpeed('local', () => npmRun('bench:generate', ['--users', String(USERS), '--consumers', '2', '--pipeline-only'], 'bench-generate.log'));
  const cpuLine = out.split('\n').find((l) => l.includes('pipeline: CPU seconds by role'));
  if (cpuLine) log(`local: ${cpuLine.replace(/^\[bench\] pipeline: /, '')}`);
  for (const what of ['system-time share by role', "the machine's CPU", 'found already stored', 'timeline from']) {
    const line = out.split('\n').find((l) => l.includes(what));
    if (line) log(`local: ${line.replace(/^\[bench\] pipeline: /, '')}`);
  }
  const line = out.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  if (!line) throw new Error(`bench:generate printed no JSON line; log in ${logDir}`);
  return { ...(JSON.parse(line) as { usersPerSec: number; duplicates: number; missing: number }), speed };
}

async function main() {
  // Each side runs alone: the local stack's servers stay stopped while the cluster's job runs (idle,
  // they still woke up for timers and took CPU from the node), and kind is down while the local one runs.
  // The local side first: a cluster kept for a look around (--keep-cluster) then takes nothing from it.
  if (kindStatus(k).cluster) throw new Error('a kind cluster is up: npm run kind:down first, so the local side runs alone');
  let l: Awaited<ReturnType<typeof local>>;
  try {
    l = await local();
  } finally {
    log('local: npm run stack:down (also a local stack that was up before), so the cluster runs alone');
    await npmRun('stack:down', [], 'stack-down.log');
  }
  const c = await cluster();
  if (l.duplicates !== 0 || l.missing !== 0) log(`local pipeline not exact: duplicates ${l.duplicates}, missing ${l.missing}`);
  const round = (x: number, d = 0) => Number(x.toFixed(d));
  console.log(
    JSON.stringify({
      users: USERS,
      clusterUsersPerSec: round(c.usersPerSec),
      localUsersPerSec: round(l.usersPerSec),
      ratioToLocal: round(c.usersPerSec / l.usersPerSec, 2),
      duplicates: c.duplicates,
      missing: c.missing,
      consumerPeakRssMb: round(c.consumerPeakRssMb),
      applyToFirstUserMs: round(c.applyToFirstUserMs),
      // The machine's speed on the cluster's side over the local side's, by the probes: far from 1,
      // the two sides ran on what were in effect different machines.
      cpuSpeedRatio: round(c.speed.sha256MBps / l.speed.sha256MBps, 2),
      memorySpeedRatio: round(c.speed.memoryMreadsPerSec / l.speed.memoryMreadsPerSec, 2),
    }),
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
