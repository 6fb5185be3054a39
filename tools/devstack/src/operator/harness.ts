import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import yaml from 'js-yaml';
import type { UserGenerationJob } from '@userforge/contracts';
import { freePort } from '../stack/procs';
import { REPO_ROOT as ROOT } from '../stack/settings';
import { waitUntil } from '../wait-until';

export const CRD = path.join(ROOT, 'k8s', 'crds', 'userforge.io_usergenerationjobs.yaml');
export const RBAC = path.join(ROOT, 'k8s', 'rbac', 'operator.yaml');

export interface Kube {
  kubeconfig: string;
  kubectl: string;
}

/** Runs our kubectl against the test control plane. */
export function kubectl(kube: Kube, args: string[], input?: string): { code: number; out: string; err: string } {
  const r = spawnSync(kube.kubectl, ['--kubeconfig', kube.kubeconfig, ...args], { input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? 1, out: r.stdout ?? '', err: r.stderr ?? '' };
}

export function apply(kube: Kube, objects: object | object[], extra: string[] = []) {
  const docs = (Array.isArray(objects) ? objects : [objects]).map((o) => yaml.dump(o)).join('---\n');
  return kubectl(kube, ['apply', '-f', '-', ...extra], docs);
}

export function mustOk(r: { code: number; out: string; err: string }): string {
  if (r.code !== 0) throw new Error(`kubectl failed (${r.code}): ${r.err || r.out}`);
  return r.out;
}

/** The CRD, installed once and Established (cluster-wide; every test file may apply it). */
export async function installCrd(kube: Kube): Promise<void> {
  mustOk(kubectl(kube, ['apply', '--server-side', '--force-conflicts', '-f', CRD]));
  // `kubectl wait` fails at once while a just-created CRD has no conditions yet: ask again until it answers.
  const established = () => kubectl(kube, ['wait', '--for=condition=Established', '--timeout=60s', 'crd/usergenerationjobs.userforge.io']);
  mustOk(await waitUntil(async () => established(), (r) => r.code === 0, 60_000, 500).catch(() => established()));
}

export function createNamespace(kube: Kube, name: string): void {
  mustOk(apply(kube, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
}

/** A consumer Deployment for the operator to scale (no node runs its pods here: only the object matters). */
export function consumerDeployment(namespace: string, replicas = 1) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'userforge-consumer', namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'userforge-consumer' } },
      template: { metadata: { labels: { app: 'userforge-consumer' } }, spec: { containers: [{ name: 'consumer', image: 'userforge/consumer:test' }] } },
    },
  };
}

export function aUgj(namespace: string, name: string, spec: Record<string, unknown>) {
  return { apiVersion: 'userforge.io/v1alpha1', kind: 'UserGenerationJob', metadata: { name, namespace }, spec };
}

export function getUgj(kube: Kube, namespace: string, name: string): UserGenerationJob | null {
  const r = kubectl(kube, ['get', 'ugj', name, '-n', namespace, '-o', 'json']);
  return r.code === 0 ? (JSON.parse(r.out) as UserGenerationJob) : null;
}

export function replicasOf(kube: Kube, namespace: string): number {
  return Number(mustOk(kubectl(kube, ['get', 'deployment', 'userforge-consumer', '-n', namespace, '-o', 'jsonpath={.spec.replicas}'])));
}

export interface OperatorProcess {
  proc: ChildProcess;
  metricsPort: number;
  name: string;
  output(): string;
  metric(name: string): Promise<number>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts the operator as its own process, so a test can SIGKILL it: from its sources with tsx, or
 * the production bundle when `bundle` names one (dist/operator.js).
 */
export async function startOperator(env: Record<string, string>, name: string, bundle?: string): Promise<OperatorProcess> {
  const metricsPort = await freePort();
  const args = bundle ? [bundle] : ['--import', 'tsx', path.join(ROOT, 'operator', 'src', 'main.ts')];
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...env, METRICS_PORT: String(metricsPort), POD_NAME: name },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stdout!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-200_000)));
  proc.stderr!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-200_000)));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const metric = async (metricName: string) => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${metricName}{`) || l.startsWith(`${metricName} `));
    return line ? Number(line.split(' ').pop()) : NaN;
  };
  await waitUntil(
    () => fetch(`http://127.0.0.1:${metricsPort}/healthz`).then((r) => r.status, () => 0),
    (s) => s === 200 || proc.exitCode !== null,
    60_000,
  );
  if (proc.exitCode !== null) throw new Error(`operator ${name} exited at start:\n${log}`);
  return {
    proc,
    metricsPort,
    name,
    output: () => log,
    metric,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (proc.exitCode === null) proc.kill(signal);
      await exited;
    },
  };
}

/** Users the job stored, and how many distinct emails and ids among them. */
export async function usersOfJob(mongoUrl: string, jobId: string): Promise<{ users: number; emails: number; ids: number }> {
  const client = await MongoClient.connect(mongoUrl);
  try {
    const docs = await client.db().collection('users').find({ jobId }, { projection: { email: 1 } }).toArray();
    return { users: docs.length, emails: new Set(docs.map((d) => d.email as string)).size, ids: new Set(docs.map((d) => String(d._id))).size };
  } finally {
    await client.close();
  }
}

export async function jobsInDb(mongoUrl: string): Promise<{ _id: string; state: string }[]> {
  const client = await MongoClient.connect(mongoUrl);
  try {
    return (await client.db().collection('jobs').find({}, { projection: { state: 1 } }).toArray()) as unknown as { _id: string; state: string }[];
  } finally {
    await client.close();
  }
}
