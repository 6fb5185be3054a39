import { backoffMs, type Logger, type Worker } from '@userforge/platform';
import type { UserGenerationJob } from '../api/v1alpha1/user-generation-job.types';
import { statusOf, type Deployment, type KubeClient } from '../k8s/client';
import { WATCH_BACKOFF } from '../k8s/informer';
import { desiredReplicas } from './desired';

export interface ScalerSettings {
  namespace: string;
  deployment: string;
  min: number;
  /** The chunk topic's partitions: more consumers than that would sit idle. */
  partitions: () => number;
}

const RUNNING_STATES = new Set(['Pending', 'Publishing', 'Running']);

/** Resources whose job is at work (or about to be): they decide how many consumers run. */
export function running(jobs: Iterable<UserGenerationJob>): UserGenerationJob[] {
  return [...jobs].filter((j) => !j.metadata.deletionTimestamp && !j.spec.suspend && RUNNING_STATES.has(j.status?.state ?? 'Pending'));
}

/** What the scaler does about the Deployment as its watch shows it. */
export type ScaleStep =
  /** A cache not listed yet: neither the jobs at work nor the Deployment are known. */
  | { do: 'wait' }
  /** No such Deployment (consumers run elsewhere, as local processes): nothing to scale. */
  | { do: 'missing' }
  /** At the number wanted already, or already scaled from this very version (the watch has not shown the write yet). */
  | { do: 'nothing' }
  /** Scale from `from` to `to`, on condition that the Deployment is still at `resourceVersion`. */
  | { do: 'scale'; from: number; to: number; resourceVersion?: string; uid?: string };

/**
 * The scaler's decision (pure): from whether both caches are listed, the Deployment the watch shows,
 * the replicas wanted, and the resource version this scaler last scaled the Deployment from. A
 * Deployment without `spec.replicas` has the API server's default, 1.
 */
export function scaleStep(view: { synced: boolean; deployment: Deployment | undefined; want: number; scaledFrom?: string }): ScaleStep {
  if (!view.synced) return { do: 'wait' };
  const d = view.deployment;
  if (!d || d.metadata.deletionTimestamp) return { do: 'missing' };
  const have = d.spec?.replicas ?? 1;
  if (have === view.want) return { do: 'nothing' };
  if (view.scaledFrom !== undefined && d.metadata.resourceVersion === view.scaledFrom) return { do: 'nothing' };
  return { do: 'scale', from: have, to: view.want, resourceVersion: d.metadata.resourceVersion, uid: d.metadata.uid };
}

/** An informer's cache and whether its first list has finished (see k8s/informer.ts). */
export interface CacheView<T> {
  readonly cache: Map<string, T>;
  readonly synced: boolean;
}

/**
 * The `consumer-scaler` worker: keeps the consumer Deployment at the largest `parallelism` of the
 * jobs at work (never above the chunk topic's partitions), and at the minimum when idle, through
 * the Deployment's scale subresource. It reads nothing itself: both caches come from watches (the
 * UserGenerationJobs, and the one Deployment by name), and it is nudged whenever either changes —
 * a job starting or finishing, a `kubectl scale`, the Deployment created again. It patches only when
 * the number differs, on condition that the Deployment is still the version it decided from (409
 * otherwise: the watch brings the newer one, and a nudge with it). A failed patch is retried with
 * backoff; nothing else runs on a timer.
 */
export function consumerScaler(
  deps: {
    jobs: CacheView<UserGenerationJob>;
    deployments: CacheView<Deployment>;
    kube: Pick<KubeClient, 'scaleTo' | 'recordEvent'>;
    logger: Logger;
    identity: string;
    onScaled?: (replicas: number) => void;
  },
  s: ScalerSettings,
): Worker & { nudge(): void } {
  const key = `${s.namespace}/${s.deployment}`;
  let started = false;
  let stopped = false;
  let busy: Promise<void> | undefined;
  let again = false;
  let retry: NodeJS.Timeout | undefined;
  let failures = 0;
  let missingReported = false;
  /** The resource version last scaled from: until the watch shows the write, that version is not acted on again. */
  let scaledFrom: string | undefined;
  const tick = async () => {
    const active = running(deps.jobs.cache.values());
    const want = desiredReplicas(active, s.min, s.partitions());
    const step = scaleStep({ synced: deps.jobs.synced && deps.deployments.synced, deployment: deps.deployments.cache.get(key), want, scaledFrom });
    if (step.do === 'wait') return;
    if (step.do === 'missing') {
      if (!missingReported) deps.logger.info({ deployment: key }, 'no consumer Deployment to scale');
      missingReported = true;
      return;
    }
    missingReported = false;
    if (step.do === 'nothing') return;
    try {
      await deps.kube.scaleTo(s.namespace, s.deployment, step.to, step.resourceVersion);
    } catch (err) {
      // Changed (409) or deleted (404) since the watch showed it: the watch brings that news, and a nudge.
      const code = statusOf(err);
      if (code !== 409 && code !== 404) throw err;
      deps.logger.debug({ deployment: key, code, err: (err as Error)?.message ?? err }, 'the consumer Deployment changed meanwhile; waiting for its watch');
      return;
    }
    scaledFrom = step.resourceVersion;
    deps.onScaled?.(step.to);
    deps.logger.info({ deployment: key, from: step.from, to: step.to, jobs: active.length }, 'scaled the consumers');
    // One Event per change, on the Deployment that changed (as the HorizontalPodAutoscaler does).
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', name: s.deployment, namespace: s.namespace, uid: step.uid };
    const why = active.length === 0 ? 'no job at work' : `${active.length} job(s) at work, ${step.to} consumer(s) wanted`;
    await deps.kube.recordEvent(deployment, 'Normal', 'Scaled', `scaled from ${step.from} to ${step.to}: ${why}`, deps.identity).catch(() => undefined);
  };
  const run = () => {
    if (!started || stopped) return;
    if (busy) {
      again = true;
      return;
    }
    clearTimeout(retry);
    retry = undefined;
    busy = tick()
      .then(
        () => {
          failures = 0;
        },
        (err: unknown) => {
          failures += 1;
          const delay = backoffMs(failures, WATCH_BACKOFF);
          deps.logger.warn({ err: (err as Error)?.message ?? err, failures, retryInMs: delay }, 'scaling the consumers failed; retrying');
          if (!stopped) retry = setTimeout(run, delay).unref();
        },
      )
      .finally(() => {
        busy = undefined;
        if (again) {
          again = false;
          run();
        }
      });
  };
  return {
    name: 'consumer-scaler',
    start() {
      started = true;
      run();
    },
    nudge: run,
    async stop() {
      stopped = true;
      clearTimeout(retry);
      await busy;
    },
  };
}
