import { userGenerationJobStatusSchema } from '@userforge/contracts';
import { API_VERSION, RESOURCE, type UserGenerationJob, type UserGenerationJobStatus } from '../api/v1alpha1/user-generation-job.types';
import { KubeRest, loadKubeConnection, type WatchEvent } from './rest';

export type { WatchEvent };

const STATUS_FIELDS = Object.keys(userGenerationJobStatusSchema.shape);

/**
 * A JSON merge patch (RFC 7386) keeps every field the patch leaves out, so each status field the new
 * status does not have (the ETA of a finished job) is sent as null, which deletes it — whether or
 * not the cached copy the status was computed from still showed it.
 */
export function statusMergePatch(next: UserGenerationJobStatus): Record<string, unknown> {
  const absent = STATUS_FIELDS.filter((k) => next[k as keyof UserGenerationJobStatus] === undefined);
  return { ...next, ...Object.fromEntries(absent.map((k) => [k, null])) };
}

/** The HTTP status of a failed Kubernetes API call (0 when the server could not be reached). */
export function statusOf(err: unknown): number {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : 0;
}

/** A coordination.k8s.io/v1 Lease, as much of it as leader election uses. */
export interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

/** Kubernetes MicroTime: RFC 3339 with exactly six fractional digits. */
export const microTime = (d: Date) => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

const MERGE_PATCH = 'application/merge-patch+json';

/**
 * The operator's whole conversation with the Kubernetes API: UserGenerationJobs (list, watch, status,
 * finalizers, delete), the consumer Deployment's scale, Events and its Lease. Exactly the verbs
 * k8s/rbac/ grants.
 */
export class KubeClient {
  private readonly rest: KubeRest;

  constructor(kubeconfig: string | undefined, private readonly namespace: string | undefined) {
    this.rest = new KubeRest(loadKubeConnection(kubeconfig));
  }

  private jobsPath(namespace = this.namespace, name?: string): string {
    const { group, version, plural } = RESOURCE;
    const base = namespace ? `/apis/${group}/${version}/namespaces/${namespace}/${plural}` : `/apis/${group}/${version}/${plural}`;
    return name ? `${base}/${encodeURIComponent(name)}` : base;
  }

  async listJobs(): Promise<{ items: UserGenerationJob[]; resourceVersion: string }> {
    const list = await this.rest.request<{ items: UserGenerationJob[]; metadata: { resourceVersion: string } }>('GET', this.jobsPath());
    return { items: list.items, resourceVersion: list.metadata.resourceVersion };
  }

  /** Watches from a resource version until the server ends the watch or it fails; `done` resolves with the error, if any. */
  watchJobs(resourceVersion: string, onEvent: (e: WatchEvent) => void, timeoutSeconds: number): { done: Promise<unknown>; abort(): void } {
    return this.rest.watch(this.jobsPath(), { resourceVersion, allowWatchBookmarks: 'true', timeoutSeconds: String(timeoutSeconds) }, onEvent);
  }

  getJob(namespace: string, name: string): Promise<UserGenerationJob | null> {
    return this.orNullIfGone(this.rest.request<UserGenerationJob>('GET', this.jobsPath(namespace, name)));
  }

  async patchStatus(ugj: UserGenerationJob, status: UserGenerationJobStatus): Promise<void> {
    const patch = statusMergePatch(status);
    await this.rest.request('PATCH', `${this.jobsPath(ugj.metadata.namespace, ugj.metadata.name)}/status`, { status: patch }, MERGE_PATCH);
  }

  /**
   * Sets the finalizer list. Not guarded by the resource version: the cached object is often one
   * status write behind, and only this operator puts finalizers on its own resources.
   */
  async setFinalizers(ugj: UserGenerationJob, finalizers: string[]): Promise<void> {
    await this.rest.request('PATCH', this.jobsPath(ugj.metadata.namespace, ugj.metadata.name), { metadata: { finalizers } }, MERGE_PATCH);
  }

  async deleteJob(ugj: UserGenerationJob): Promise<void> {
    await this.orNullIfGone(this.rest.request('DELETE', this.jobsPath(ugj.metadata.namespace, ugj.metadata.name)));
  }

  /** The answer, or null when the object does not exist (404); any other failure is thrown. */
  private async orNullIfGone<T>(request: Promise<T>): Promise<T | null> {
    try {
      return await request;
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
  }

  private scalePath = (namespace: string, name: string) => `/apis/apps/v1/namespaces/${namespace}/deployments/${encodeURIComponent(name)}/scale`;

  async readReplicas(namespace: string, name: string): Promise<number> {
    return (await this.rest.request<{ spec?: { replicas?: number } }>('GET', this.scalePath(namespace, name))).spec?.replicas ?? 0;
  }

  async scaleTo(namespace: string, name: string, replicas: number): Promise<void> {
    await this.rest.request('PATCH', this.scalePath(namespace, name), { spec: { replicas } }, MERGE_PATCH);
  }

  async recordEvent(ugj: UserGenerationJob, type: 'Normal' | 'Warning', reason: string, message: string, instance: string): Promise<void> {
    const now = new Date().toISOString();
    const { name, namespace, uid } = ugj.metadata;
    await this.rest.request('POST', `/api/v1/namespaces/${namespace}/events`, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${name}.`, namespace },
      involvedObject: { apiVersion: API_VERSION, kind: ugj.kind, name, namespace, uid },
      type,
      reason,
      message,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      source: { component: 'userforge-operator' },
      reportingComponent: 'userforge.io/operator',
      reportingInstance: instance,
    });
  }

  private leasePath = (namespace: string, name?: string) => `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases${name ? `/${encodeURIComponent(name)}` : ''}`;

  readLease(namespace: string, name: string): Promise<Lease | null> {
    return this.orNullIfGone(this.rest.request<Lease>('GET', this.leasePath(namespace, name)));
  }

  createLease(namespace: string, body: Lease): Promise<Lease> {
    return this.rest.request<Lease>('POST', this.leasePath(namespace), { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', ...body });
  }

  /** Optimistic: fails with 409 when someone else changed the lease since it was read. */
  replaceLease(namespace: string, body: Lease): Promise<Lease> {
    return this.rest.request<Lease>('PUT', this.leasePath(namespace, body.metadata.name), { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', ...body });
  }
}
