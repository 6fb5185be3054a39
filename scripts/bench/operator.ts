/**
 * Operator benchmark on its own servers (a Kubernetes control plane, Kafka, FerretDB, Redis on free
 * ports), two consumers and one operator as processes. Measures, in one run: time from creating a
 * UserGenerationJob to its status saying Running (median over --apply resources), how far the
 * resource's status trails the job's real progress while a larger job runs (median and max),
 * 1,000 small resources created at once and reconciled to Succeeded, and the operator's peak RSS.
 * Ends with one JSON line. Usage: npm run bench:operator -- [--apply 20] [--resources 1000] [--lag-users 300000]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { CustomObjectsApi, KubeConfig, Watch } from '@kubernetes/client-node';
import { MongoClient } from 'mongodb';
import { UGJ_GROUP, UGJ_PLURAL, UGJ_VERSION, type UserGenerationJob } from '@userforge/contracts';
import { JobRepository } from '@userforge/jobs';
import path from 'node:path';
import { aUgj, createNamespace, installCrd, startOperator } from '@userforge/devstack';
import { bundle } from '@userforge/devstack';
import { jobIdFor } from '../../operator/src/api/v1alpha1/user-generation-job.types';
import { tsxCommand, isolatedSettings, startIsolatedStack, freePort, REPO_ROOT } from '@userforge/devstack';

const { values } = parseArgs({ options: { apply: { type: 'string', default: '20' }, resources: { type: 'string', default: '1000' }, 'lag-users': { type: 'string', default: '300000' } } });
const APPLY = Number(values.apply);
const RESOURCES = Number(values.resources);
const LAG_USERS = Number(values['lag-users']);
const NS = 'bench';
const log = (m: string) => console.log(`[bench] ${m}`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ACTIVE_OR_DONE = new Set(['Running', 'Succeeded']);

async function main() {
  log('starting servers: Kubernetes control plane, Kafka, FerretDB, Redis (own ports)');
  const stack = await startIsolatedStack(await isolatedSettings('bench-operator'), ['mongo', 'redis', 'kafka', 'kube'], log);
  const children: ChildProcess[] = [];
  let stopOperator: (() => Promise<void>) | undefined;
  const cleanUp = async () => {
    await stopOperator?.();
    for (const c of children) c.kill('SIGTERM');
    await stack.stop();
  };
  // Interrupted (Ctrl-C): stop everything it started before leaving.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
  try {
    const kube = stack.kube!;
    await installCrd(kube);
    createNamespace(kube, NS);
    const MONGO_URL = `${stack.env.MONGO_URL.replace(/\/[^/]*$/, '')}/userforge_bench_operator`;
    const env = { ...stack.env, MONGO_URL, LOG_LEVEL: 'warn' };
    for (const i of [0, 1]) {
      const { cmd, args } = tsxCommand('services/consumer/src/main.ts');
      children.push(spawn(cmd, args, { cwd: REPO_ROOT, env: { ...process.env, ...env, METRICS_PORT: String(await freePort()), KAFKA_GROUP_ID: 'bench-operator' }, stdio: 'ignore' }));
      log(`consumer ${i + 1} started`);
    }
    // The operator as it runs in its image: the production bundle under plain node (no tsx in its RSS).
    bundle(path.join(REPO_ROOT, 'dist'));
    // The image's environment too (Dockerfile): fewer malloc arenas, production mode.
    const opEnv = { ...env, LOG_LEVEL: 'warn', NODE_ENV: 'production', MALLOC_ARENA_MAX: '2', KUBECONFIG: kube.kubeconfig, WATCH_NAMESPACE: NS, CONSUMER_NAMESPACE: NS, LEASE_NAMESPACE: NS };
    const op = await startOperator(opEnv, 'bench-operator', path.join(REPO_ROOT, 'dist', 'operator.js'));
    stopOperator = () => op.kill('SIGTERM');
    await waitFor(async () => (await op.metric('userforge_operator_leader')) === 1, 30_000);

    const kc = new KubeConfig();
    kc.loadFromFile(kube.kubeconfig);
    const api = kc.makeApiClient(CustomObjectsApi);
    const create = (name: string, spec: Record<string, unknown>) => api.createNamespacedCustomObject({ group: UGJ_GROUP, version: UGJ_VERSION, plural: UGJ_PLURAL, namespace: NS, body: aUgj(NS, name, spec) });
    // Every status change, timestamped as it arrives.
    const seen = new Map<string, { state?: string; chunksDone: number; at: number }[]>();
    const watch = await new Watch(kc).watch(`/apis/${UGJ_GROUP}/${UGJ_VERSION}/namespaces/${NS}/${UGJ_PLURAL}`, {}, (_type, obj: UserGenerationJob) => {
      const list = seen.get(obj.metadata.name) ?? [];
      list.push({ state: obj.status?.state, chunksDone: obj.status?.chunksDone ?? 0, at: Date.now() });
      seen.set(obj.metadata.name, list);
    }, () => undefined);
    const firstAt = (name: string, test: (s: { state?: string; chunksDone: number }) => boolean) => seen.get(name)?.find(test)?.at;

    log(`apply → Running: ${APPLY} resources, one after another`);
    const applyToRunning: number[] = [];
    for (let i = 0; i < APPLY; i++) {
      const name = `apply-${i}`;
      const t0 = Date.now();
      await create(name, { count: 20_000, chunkSize: 2_000 });
      await waitFor(async () => firstAt(name, (s) => ACTIVE_OR_DONE.has(s.state ?? '')) !== undefined, 60_000);
      applyToRunning.push(firstAt(name, (s) => ACTIVE_OR_DONE.has(s.state ?? ''))! - t0);
    }
    await waitFor(async () => [...Array(APPLY).keys()].every((i) => seen.get(`apply-${i}`)?.some((s) => s.state === 'Succeeded')), 600_000);

    log(`status lag: one ${LAG_USERS}-user job, the job's progress read from MongoDB every 50 ms`);
    const mongo = await MongoClient.connect(MONGO_URL);
    const jobs = new JobRepository(mongo.db());
    const created = (await create('lag', { count: LAG_USERS, chunkSize: 10_000 })) as UserGenerationJob;
    const jobId = jobIdFor(created.metadata.uid);
    const real: { chunksDone: number; at: number }[] = [];
    for (let done = false; !done; await sleep(50)) {
      const job = await jobs.findById(jobId);
      if (job && job.chunksDone > (real.at(-1)?.chunksDone ?? 0)) real.push({ chunksDone: job.chunksDone, at: Date.now() });
      done = job?.state === 'succeeded';
    }
    await waitFor(async () => seen.get('lag')?.some((s) => s.state === 'Succeeded') ?? false, 60_000);
    const lags = real.map((r) => (firstAt('lag', (s) => s.chunksDone >= r.chunksDone) ?? Date.now()) - r.at).map((ms) => Math.max(0, ms));
    await mongo.close();

    log(`${RESOURCES} resources of 100 users, created at once`);
    const reconcilesBefore = await sumMetric(op.metricsPort, 'userforge_operator_reconciles_total');
    const t0 = Date.now();
    for (let i = 0; i < RESOURCES; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, RESOURCES - i) }, (_, j) => create(`small-${i + j}`, { count: 100 })));
    }
    await waitFor(async () => [...Array(RESOURCES).keys()].every((i) => seen.get(`small-${i}`)?.some((s) => s.state === 'Succeeded')), 900_000, 500);
    const seconds = (Date.now() - t0) / 1000;
    const reconciles = (await sumMetric(op.metricsPort, 'userforge_operator_reconciles_total')) - reconcilesBefore;
    const errors = await sumMetric(op.metricsPort, 'userforge_operator_reconciles_total', 'result="error"');
    const rssMb = Math.round(peakRssKb(op.proc.pid!) / 1024);
    watch.abort();
    log(`${RESOURCES} resources succeeded in ${seconds.toFixed(1)} s; ${reconciles} reconciles`);
    console.log(
      JSON.stringify({
        applyToRunningMsP50: median(applyToRunning),
        statusLagMsP50: median(lags),
        statusLagMsMax: Math.max(...lags),
        resources: RESOURCES,
        resourcesSeconds: Math.round(seconds * 10) / 10,
        reconcilesPerSec: Math.round(reconciles / seconds),
        reconcileErrors: errors,
        operatorRssMb: rssMb,
      }),
    );
  } finally {
    await cleanUp();
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

async function sumMetric(port: number, name: string, label = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && l.includes(label))
    .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
}

/** The process's peak resident set (VmHWM), in kB. */
function peakRssKb(pid: number): number {
  const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
  return Number(line?.replace(/\D+/g, '') ?? 0);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
