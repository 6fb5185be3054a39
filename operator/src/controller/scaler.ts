import type { Logger, Worker } from '@userforge/platform';
import type { UserGenerationJob } from '../api/v1alpha1/user-generation-job.types';
import { statusOf, type KubeClient } from '../k8s/client';
import { desiredReplicas } from './desired';

export interface ScalerSettings {
  namespace: string;
  deployment: string;
  min: number;
  /** The chunk topic's partitions: more consumers than that would sit idle. */
  partitions: () => number;
  everyMs: number;
}

const RUNNING_STATES = new Set(['Pending', 'Publishing', 'Running']);

/** Resources whose job is at work (or about to be): they decide how many consumers run. */
export function running(jobs: Iterable<UserGenerationJob>): UserGenerationJob[] {
  return [...jobs].filter((j) => !j.metadata.deletionTimestamp && !j.spec.suspend && RUNNING_STATES.has(j.status?.state ?? 'Pending'));
}

/**
 * The `consumer-scaler` worker: keeps the consumer Deployment at the largest `parallelism` of the
 * jobs at work (never above the chunk topic's partitions), and at the minimum when idle, through
 * the Deployment's scale subresource. Patches only when the number differs.
 */
export function consumerScaler(
  deps: {
    cache: Map<string, UserGenerationJob>;
    kube: Pick<KubeClient, 'readReplicas' | 'scaleTo' | 'recordEvent'>;
    logger: Logger;
    identity: string;
    onScaled?: (replicas: number) => void;
  },
  s: ScalerSettings,
): Worker & { nudge(): void } {
  let timer: NodeJS.Timeout | undefined;
  let busy: Promise<void> | undefined;
  let again = false;
  let missingReported = false;
  const tick = async () => {
    const active = running(deps.cache.values());
    const want = desiredReplicas(active, s.min, s.partitions());
    let have: number;
    let uid: string | undefined;
    try {
      ({ replicas: have, uid } = await deps.kube.readReplicas(s.namespace, s.deployment));
    } catch (err) {
      // Consumers run elsewhere (local processes): nothing to scale, said once.
      if (statusOf(err) !== 404) throw err;
      if (!missingReported) deps.logger.info({ deployment: `${s.namespace}/${s.deployment}` }, 'no consumer Deployment to scale');
      missingReported = true;
      return;
    }
    missingReported = false;
    if (want === have) return;
    await deps.kube.scaleTo(s.namespace, s.deployment, want);
    deps.onScaled?.(want);
    deps.logger.info({ deployment: `${s.namespace}/${s.deployment}`, from: have, to: want, jobs: active.length }, 'scaled the consumers');
    // One Event per change, on the Deployment that changed (as the HorizontalPodAutoscaler does).
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', name: s.deployment, namespace: s.namespace, uid };
    const why = active.length === 0 ? 'no job at work' : `${active.length} job(s) at work, ${want} consumer(s) wanted`;
    await deps.kube.recordEvent(deployment, 'Normal', 'Scaled', `scaled from ${have} to ${want}: ${why}`, deps.identity).catch(() => undefined);
  };
  const run = () => {
    if (busy) {
      again = true;
      return;
    }
    busy = tick()
      .catch((err: unknown) => deps.logger.warn({ err: (err as Error)?.message ?? err }, 'scaling the consumers failed; retrying'))
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
      run();
      timer = setInterval(run, s.everyMs);
      timer.unref();
    },
    nudge: run,
    async stop() {
      if (timer) clearInterval(timer);
      await busy;
    },
  };
}
