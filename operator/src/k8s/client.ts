import { userGenerationJobStatusSchema } from '@userforge/contracts';
import { API_VERSION, RESOURCE, type UserGenerationJob, type UserGenerationJobStatus } from '../api/v1alpha1/user-generation-job.types';
import type { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { KubeApiError, KubeRest, type Stream } from './rest';

export type { Stream } from './rest';

/** One event of a watch stream. */
export interface WatchEvent {
  type: string;
  object: Record<string, unknown>;
}

/** Items per page of a LIST: a large namespace is read in pages, never one unbounded answer. */
export const LIST_PAGE_SIZE = 500;

/** What every listed and watched object has. */
export interface KubeObject {
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string; deletionTimestamp?: string };
}

/** An apps/v1 Deployment, as much of it as the consumer scaler reads. */
export interface Deployment extends KubeObject {
  spec?: { replicas?: number };
}

/**
 * One kind of object to list and watch (an Informer's source): `resource` names it in logs and
 * metrics; `list` reads every object page by page (`onPage` counts each request) and the resource
 * version to watch from; `watch` streams each line of a watch from that version, undecoded.
 */
export interface ListWatch<T extends KubeObject> {
  resource: string;
  list(onPage?: () => void): Promise<{ items: T[]; resourceVersion: string }>;
  watch(resourceVersion: string, onLine: (line: string) => void, timeoutSeconds: number): Stream;
}

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

/** The object an Event is about. */
export interface EventTarget {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid?: string;
}

/** A UserGenerationJob as the object of an Event. */
export const eventTargetOf = (ugj: UserGenerationJob): EventTarget => ({
  apiVersion: API_VERSION,
  kind: ugj.kind,
  name: ugj.metadata.name,
  namespace: ugj.metadata.namespace,
  uid: ugj.metadata.uid,
});

/** Events this replica recorded and may count up, at most this many (the oldest forgotten first). */
const EVENT_SERIES_KEPT = 1000;

/** Two Events are one series when they say the same thing about the same object. */
export const eventKey = (t: EventTarget, type: string, reason: string, message: string) => JSON.stringify([t.namespace, t.kind, t.name, t.uid ?? '', type, reason, message]);

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
const JSON_PATCH = 'application/json-patch+json';

/**
 * A JSON patch from the finalizers the cache shows to `finalizers`, applied only to the same object
 * (uid) with the same list. An object without finalizers has no list to test, so its resource
 * version is tested instead.
 */
export function finalizerPatch(ugj: Pick<UserGenerationJob, 'metadata'>, finalizers: string[]): object[] {
  const current = ugj.metadata.finalizers ?? [];
  const ops: object[] = [{ op: 'test', path: '/metadata/uid', value: ugj.metadata.uid }];
  if (current.length > 0) ops.push({ op: 'test', path: '/metadata/finalizers', value: current });
  else ops.push({ op: 'test', path: '/metadata/resourceVersion', value: ugj.metadata.resourceVersion });
  ops.push(finalizers.length > 0 ? { op: current.length > 0 ? 'replace' : 'add', path: '/metadata/finalizers', value: finalizers } : { op: 'remove', path: '/metadata/finalizers' });
  return ops;
}

/**
 * The operator's whole conversation with the Kubernetes API: UserGenerationJobs (list, watch, status,
 * finalizers, delete), the consumer Deployment (list and watch by name, its scale), Events and its Lease. Exactly the verbs
 * k8s/rbac/ grants.
 */
export class KubeClient {
  private readonly rest: KubeRest;
  /** The Events this replica recorded, by eventKey: their names and counts. */
  private readonly series = new Map<string, { name: string; count: number }>();

  constructor(
    kubeconfig: KubeConfig,
    private readonly namespace: string | undefined,
    /** Told of every request's verb, status and duration (the operator's API-request metric). */
    onResponse?: (verb: string, code: number, seconds: number) => void,
    /** Only UserGenerationJobs matching this label selector are listed and watched (another operator has the rest). */
    private readonly labelSelector?: string,
  ) {
    this.rest = new KubeRest(kubeconfig, onResponse);
  }

  private jobsPath(namespace = this.namespace, name?: string): string {
    const { group, version, plural } = RESOURCE;
    const base = namespace ? `/apis/${group}/${version}/namespaces/${namespace}/${plural}` : `/apis/${group}/${version}/${plural}`;
    return name ? `${base}/${encodeURIComponent(name)}` : base;
  }

  private selected = (): Record<string, string> => (this.labelSelector ? { labelSelector: this.labelSelector } : {});

  /**
   * Every object at `apiPath` matching `query`, page by page (`limit`/`continue`: one consistent
   * snapshot), and the resource version to watch from. `onPage` counts each request.
   */
  private async listAll<T>(apiPath: string, query: Record<string, string>, onPage: () => void, pageSize: number): Promise<{ items: T[]; resourceVersion: string }> {
    const items: T[] = [];
    let next = '';
    for (;;) {
      onPage();
      const params = new URLSearchParams({ limit: String(pageSize), ...(next ? { continue: next } : {}), ...query });
      const page = await this.rest.request<{ items: T[]; metadata: { resourceVersion: string; continue?: string } }>('GET', `${apiPath}?${params}`);
      items.push(...page.items);
      if (!page.metadata.continue) return { items, resourceVersion: page.metadata.resourceVersion };
      next = page.metadata.continue;
    }
  }

  /**
   * Watches `apiPath` from a resource version, with bookmarks, until the server ends the watch
   * (after `timeoutSeconds`) or it fails; each line of the stream goes to `onLine` undecoded.
   */
  private watchAll(apiPath: string, query: Record<string, string>, resourceVersion: string, onLine: (line: string) => void, timeoutSeconds: number): Stream {
    return this.rest.stream(apiPath, { watch: 'true', resourceVersion, allowWatchBookmarks: 'true', timeoutSeconds: String(timeoutSeconds), ...query }, onLine);
  }

  /** Every UserGenerationJob, page by page, and the resource version to watch from. `onPage` counts each request. */
  listJobs(onPage: () => void = () => undefined, pageSize = LIST_PAGE_SIZE): Promise<{ items: UserGenerationJob[]; resourceVersion: string }> {
    return this.listAll<UserGenerationJob>(this.jobsPath(), this.selected(), onPage, pageSize);
  }

  /** Watches UserGenerationJobs from a resource version (see watchAll). */
  watchJobs(resourceVersion: string, onLine: (line: string) => void, timeoutSeconds: number): Stream {
    return this.watchAll(this.jobsPath(), this.selected(), resourceVersion, onLine, timeoutSeconds);
  }

  /** The UserGenerationJobs this operator reconciles (its namespace, its label selector), as an Informer's source. */
  jobs(): ListWatch<UserGenerationJob> {
    return {
      resource: 'usergenerationjobs',
      list: (onPage) => this.listJobs(onPage),
      watch: (resourceVersion, onLine, timeoutSeconds) => this.watchJobs(resourceVersion, onLine, timeoutSeconds),
    };
  }

  /**
   * One Deployment, as an Informer's source: listed and watched by name (`fieldSelector=metadata.name`),
   * which is what lets RBAC grant list and watch on that Deployment alone (resourceNames).
   */
  deployment(namespace: string, name: string): ListWatch<Deployment> {
    const apiPath = `/apis/apps/v1/namespaces/${namespace}/deployments`;
    const query = { fieldSelector: `metadata.name=${name}` };
    return {
      resource: 'deployments',
      list: (onPage = () => undefined) => this.listAll<Deployment>(apiPath, query, onPage, LIST_PAGE_SIZE),
      watch: (resourceVersion, onLine, timeoutSeconds) => this.watchAll(apiPath, query, resourceVersion, onLine, timeoutSeconds),
    };
  }

  getJob(namespace: string, name: string): Promise<UserGenerationJob | null> {
    return this.orNullIfGone(this.rest.request<UserGenerationJob>('GET', this.jobsPath(namespace, name)));
  }

  async patchStatus(ugj: UserGenerationJob, status: UserGenerationJobStatus): Promise<void> {
    const patch = statusMergePatch(status);
    await this.rest.request('PATCH', `${this.jobsPath(ugj.metadata.namespace, ugj.metadata.name)}/status`, { status: patch }, MERGE_PATCH);
  }

  /**
   * Sets the finalizer list, on condition that the object is still this one (uid) and its list is
   * still the one the cache showed (a JSON patch `test`, not the resource version: the cached object
   * is often one status write behind). A list changed meanwhile fails the write (the reconcile is
   * retried from a fresher cache) instead of dropping someone else's finalizer.
   */
  async setFinalizers(ugj: UserGenerationJob, finalizers: string[]): Promise<void> {
    try {
      await this.rest.request('PATCH', this.jobsPath(ugj.metadata.namespace, ugj.metadata.name), finalizerPatch(ugj, finalizers), JSON_PATCH);
    } catch (err) {
      // A failed `test` is the API server's 422 for this well-formed patch: the object changed, a conflict.
      if (statusOf(err) === 422) throw new KubeApiError(409, `finalizers of ${ugj.metadata.namespace}/${ugj.metadata.name} changed meanwhile: ${(err as Error).message}`);
      throw err;
    }
  }

  /** Deletes this object, never a same-named one created since (uid precondition: 409, taken as gone). */
  async deleteJob(ugj: UserGenerationJob): Promise<void> {
    try {
      await this.orNullIfGone(
        this.rest.request('DELETE', this.jobsPath(ugj.metadata.namespace, ugj.metadata.name), { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: ugj.metadata.uid } }),
      );
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
    }
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

  /**
   * Sets the Deployment's replicas through its scale subresource, on condition that the Deployment
   * is still at `resourceVersion` (the version the caller decided from): a Deployment changed
   * meanwhile fails with 409 instead of being scaled from a number nobody saw. Resolves with the
   * Deployment's new resource version.
   */
  async scaleTo(namespace: string, name: string, replicas: number, resourceVersion?: string): Promise<string | undefined> {
    const patch = { ...(resourceVersion ? { metadata: { resourceVersion } } : {}), spec: { replicas } };
    const scale = await this.rest.request<{ metadata?: { resourceVersion?: string } }>('PATCH', this.scalePath(namespace, name), patch, MERGE_PATCH);
    return scale.metadata?.resourceVersion;
  }

  /**
   * Records an Event about `target`. A repeat of one this replica recorded (same object, type,
   * reason and message) updates that Event's count and lastTimestamp instead of adding another, as
   * client-go's recorder does; one that has expired meanwhile (404) is recorded anew.
   */
  async recordEvent(target: EventTarget, type: 'Normal' | 'Warning', reason: string, message: string, instance: string): Promise<void> {
    const now = new Date().toISOString();
    const key = eventKey(target, type, reason, message);
    const seen = this.series.get(key);
    if (seen) {
      try {
        await this.rest.request('PATCH', `/api/v1/namespaces/${target.namespace}/events/${encodeURIComponent(seen.name)}`, { count: seen.count + 1, lastTimestamp: now }, MERGE_PATCH);
        seen.count += 1;
        return;
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
        this.series.delete(key);
      }
    }
    const { name, namespace } = target;
    const created = await this.rest.request<{ metadata: { name: string } }>('POST', `/api/v1/namespaces/${namespace}/events`, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${name}.`, namespace },
      involvedObject: target,
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
    this.series.set(key, { name: created.metadata.name, count: 1 });
    if (this.series.size > EVENT_SERIES_KEPT) this.series.delete(this.series.keys().next().value!);
  }

  private leasePath = (namespace: string, name?: string) => `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases${name ? `/${encodeURIComponent(name)}` : ''}`;

  /** Lease calls carry their own timeout: each must fit inside the leader's renew deadline. */
  readLease(namespace: string, name: string, timeoutMs?: number): Promise<Lease | null> {
    return this.orNullIfGone(this.rest.request<Lease>('GET', this.leasePath(namespace, name), undefined, undefined, timeoutMs));
  }

  createLease(namespace: string, body: Lease, timeoutMs?: number): Promise<Lease> {
    return this.rest.request<Lease>('POST', this.leasePath(namespace), { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', ...body }, undefined, timeoutMs);
  }

  /** Optimistic: fails with 409 when someone else changed the lease since it was read. */
  replaceLease(namespace: string, body: Lease, timeoutMs?: number): Promise<Lease> {
    return this.rest.request<Lease>('PUT', this.leasePath(namespace, body.metadata.name), { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', ...body }, undefined, timeoutMs);
  }
}
