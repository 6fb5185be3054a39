/** The release under test as the cluster sees it: its pods, its Lease, its UserGenerationJobs, its values. */
import type { UserGenerationJob } from '../../operator/src/api/v1alpha1/user-generation-job.types';
import type { cluster } from './harness';

type Kube = ReturnType<typeof cluster>;

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

/**
 * The release's values for this node: the images just imported, the local stack's servers at the
 * node's address, the Ingress served by the node's ingress controller (Traefik, IngressClass
 * `traefik`), the API also on a NodePort (the test's reference reads bypass the ingress), and
 * requests small enough that three consumers, two APIs and two operators fit on a 2-core node.
 */
export function e2eValues(o: {
  tag: string;
  kafka: string;
  mongo: string;
  redis: string;
  at: string;
  host: string;
  ingress: { className: string; namespace: string; podLabels: Record<string, string> };
  apiNodePort: number;
  ports: { kafka: number; mongo: number; redis: number };
  apiServerPort: number;
}) {
  const small = (cpu: string, memory: string, limit: string) => ({ requests: { cpu, memory }, limits: { memory: limit } });
  const host = [{ ipBlock: { cidr: `${o.at}/32` } }];
  return {
    image: { tag: o.tag, pullPolicy: 'Never' },
    kafka: { brokers: [o.kafka] },
    mongodb: { url: o.mongo },
    redis: { url: o.redis },
    api: {
      replicaCount: 2,
      service: { type: 'NodePort', nodePort: o.apiNodePort },
      resources: small('100m', '128Mi', '512Mi'),
    },
    consumer: { resources: small('200m', '256Mi', '1Gi') },
    operator: { replicaCount: 2, minConsumers: 1, resources: small('20m', '96Mi', '256Mi') },
    // The dashboard calls the API on its own origin, which the Ingress routes (the chart's defaults).
    dashboard: { replicaCount: 1, resources: small('10m', '16Mi', '64Mi') },
    ingress: { enabled: true, className: o.ingress.className, host: o.host },
    // Rendered and applied as in production, with the real peers; this node's CNI (bridge) does not enforce them.
    networkPolicy: {
      enabled: true,
      ingressController: [
        { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': o.ingress.namespace } }, podSelector: { matchLabels: o.ingress.podLabels } },
        // The test's own reads of the API's NodePort come from the host.
        ...host,
      ],
      egress: {
        kafka: { ports: [o.ports.kafka], to: host },
        mongodb: { ports: [o.ports.mongo], to: host },
        redis: { ports: [o.ports.redis], to: host },
        kubeApiServer: { ports: [443, o.apiServerPort], to: [] },
      },
    },
  };
}
