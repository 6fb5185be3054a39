/** The release under test as the cluster sees it: its pods, its Lease, its UserGenerationJobs, its values. */
import type { UserGenerationJob } from '../../operator/src/api/v1alpha1/user-generation-job.types';
import type { kubeClient } from './harness';

type Kube = ReturnType<typeof kubeClient>;

export interface Pod {
  metadata: { name: string; labels: Record<string, string>; deletionTimestamp?: string };
  spec: { securityContext?: object; containers: Container[] };
  status: { phase: string; podIP?: string; conditions?: { type: string; status: string }[] };
}
export interface Container {
  name: string;
  image: string;
  securityContext?: object;
  readinessProbe?: object;
  livenessProbe?: object;
  startupProbe?: object;
}

export const RELEASE = 'userforge';
export const COMPONENT = 'app.kubernetes.io/component';

export const isReady = (p: Pod) => !p.metadata.deletionTimestamp && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

export function releasePods(k: Kube, ns: string, component?: string): Pod[] {
  const selector = `app.kubernetes.io/instance=${RELEASE}${component ? `,${COMPONENT}=${component}` : ''}`;
  return k.json<{ items: Pod[] }>(['get', 'pods', '-n', ns, '-l', selector]).items;
}

export function leaseHolder(k: Kube, ns: string): string | undefined {
  const lease = k.json<{ spec: { holderIdentity?: string } }>(['get', 'lease', `${RELEASE}-operator`, '-n', ns]);
  return lease.spec.holderIdentity || undefined;
}

export const ugj = (ns: string, name: string, count: number, parallelism: number) => ({
  apiVersion: 'userforge.io/v1alpha1',
  kind: 'UserGenerationJob',
  metadata: { name, namespace: ns },
  spec: { count, parallelism },
});

export const getUgj = (k: Kube, ns: string, name: string) => k.json<UserGenerationJob>(['get', 'ugj', name, '-n', ns]);

export const succeeded = (u: UserGenerationJob) => (u.status?.conditions ?? []).some((c) => c.type === 'Succeeded' && c.status === 'True');

export function consumerReplicas(k: Kube, ns: string): { spec: number; ready: number } {
  const d = k.json<{ spec: { replicas: number }; status: { readyReplicas?: number } }>(['get', 'deployment', `${RELEASE}-consumer`, '-n', ns]);
  return { spec: d.spec.replicas, ready: d.status.readyReplicas ?? 0 };
}

/** Polls `read` until `done` holds; fails with the last value and what was awaited. */
export async function until<T>(what: string, read: () => T | Promise<T>, done: (v: T) => boolean, timeoutMs: number, everyMs = 1_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s; last: ${JSON.stringify(v).slice(0, 800)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
