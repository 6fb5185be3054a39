import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  V1MicroTime,
  Watch,
  setHeaderOptions,
  type V1Lease,
} from '@kubernetes/client-node';
import { API_VERSION, RESOURCE, type UserGenerationJob, type UserGenerationJobStatus } from '../api/v1alpha1/user-generation-job.types';

/** The HTTP status of a failed Kubernetes API call (0 when the server could not be reached). */
export function statusOf(err: unknown): number {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : 0;
}

export interface WatchEvent {
  type: string;
  object: Record<string, unknown>;
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault(); // in a pod: the service account
  return kc;
}

/**
 * The operator's whole conversation with the Kubernetes API: UserGenerationJobs (list, watch, status,
 * finalizers, delete), the consumer Deployment's scale, Events and its Lease. Exactly the verbs
 * k8s/rbac/ grants.
 */
export class KubeClient {
  private readonly custom: CustomObjectsApi;
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  private readonly coordination: CoordinationV1Api;
  private readonly watcher: Watch;

  constructor(kc: KubeConfig, private readonly namespace: string | undefined) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
    this.coordination = kc.makeApiClient(CoordinationV1Api);
    this.watcher = new Watch(kc);
  }

  /** The path watched: one namespace, or all. */
  private get collectionPath(): string {
    const { group, version, plural } = RESOURCE;
    return this.namespace ? `/apis/${group}/${version}/namespaces/${this.namespace}/${plural}` : `/apis/${group}/${version}/${plural}`;
  }

  async listJobs(): Promise<{ items: UserGenerationJob[]; resourceVersion: string }> {
    const list = (
      this.namespace
        ? await this.custom.listNamespacedCustomObject({ ...RESOURCE, namespace: this.namespace })
        : await this.custom.listClusterCustomObject({ ...RESOURCE })
    ) as { items: UserGenerationJob[]; metadata: { resourceVersion: string } };
    return { items: list.items, resourceVersion: list.metadata.resourceVersion };
  }

  /** Watches from a resource version until the server ends the watch or it fails; resolves with the error, if any. */
  watchJobs(resourceVersion: string, onEvent: (e: WatchEvent) => void, timeoutSeconds: number): { done: Promise<unknown>; abort(): void } {
    let abort: AbortController | undefined;
    const done = new Promise<unknown>((resolve) => {
      this.watcher
        .watch(this.collectionPath, { resourceVersion, allowWatchBookmarks: true, timeoutSeconds }, (type, object) => onEvent({ type, object }), (err) => resolve(err ?? null))
        .then((controller) => (abort = controller), resolve);
    });
    return { done, abort: () => abort?.abort() };
  }

  async getJob(namespace: string, name: string): Promise<UserGenerationJob | null> {
    try {
      return (await this.custom.getNamespacedCustomObject({ ...RESOURCE, namespace, name })) as UserGenerationJob;
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
  }

  async patchStatus(ugj: UserGenerationJob, status: UserGenerationJobStatus): Promise<void> {
    const { namespace, name } = ugj.metadata;
    await this.custom.patchNamespacedCustomObjectStatus({ ...RESOURCE, namespace, name, body: { status } }, mergePatch);
  }

  /**
   * Sets the finalizer list. Not guarded by the resource version: the cached object is often one
   * status write behind, and only this operator puts finalizers on its own resources.
   */
  async setFinalizers(ugj: UserGenerationJob, finalizers: string[]): Promise<void> {
    const { namespace, name } = ugj.metadata;
    await this.custom.patchNamespacedCustomObject({ ...RESOURCE, namespace, name, body: { metadata: { finalizers } } }, mergePatch);
  }

  async deleteJob(ugj: UserGenerationJob): Promise<void> {
    try {
      await this.custom.deleteNamespacedCustomObject({ ...RESOURCE, namespace: ugj.metadata.namespace, name: ugj.metadata.name });
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
  }

  async readReplicas(namespace: string, name: string): Promise<number> {
    const scale = await this.apps.readNamespacedDeploymentScale({ namespace, name });
    return scale.spec?.replicas ?? 0;
  }

  async scaleTo(namespace: string, name: string, replicas: number): Promise<void> {
    await this.apps.patchNamespacedDeploymentScale({ namespace, name, body: { spec: { replicas } } }, mergePatch);
  }

  async recordEvent(ugj: UserGenerationJob, type: 'Normal' | 'Warning', reason: string, message: string, instance: string): Promise<void> {
    const now = new Date();
    await this.core.createNamespacedEvent({
      namespace: ugj.metadata.namespace,
      body: {
        metadata: { generateName: `${ugj.metadata.name}.`, namespace: ugj.metadata.namespace },
        involvedObject: { apiVersion: API_VERSION, kind: ugj.kind, name: ugj.metadata.name, namespace: ugj.metadata.namespace, uid: ugj.metadata.uid },
        type,
        reason,
        message,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        source: { component: 'userforge-operator' },
        reportingComponent: 'userforge.io/operator',
        reportingInstance: instance,
      },
    });
  }

  async readLease(namespace: string, name: string): Promise<V1Lease | null> {
    try {
      return await this.coordination.readNamespacedLease({ namespace, name });
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
  }

  createLease(namespace: string, body: V1Lease): Promise<V1Lease> {
    return this.coordination.createNamespacedLease({ namespace, body });
  }

  /** Optimistic: fails with 409 when someone else changed the lease since it was read. */
  replaceLease(namespace: string, body: V1Lease): Promise<V1Lease> {
    return this.coordination.replaceNamespacedLease({ namespace, name: body.metadata!.name!, body });
  }
}

export const microTime = (d: Date) => new V1MicroTime(d.getTime());
