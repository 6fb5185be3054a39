import type { JobView } from '@userforge/contracts';
import { JobPublisher } from '@userforge/jobs';
import { periodicWorker, type Logger, type Worker } from '@userforge/platform';
import type { OperatorAdapters } from '../adapters';
import { jobIdFor } from '../api/v1alpha1/user-generation-job.types';
import type { OperatorConfig } from '../config';
import { Informer } from '../k8s/informer';
import { WorkQueue } from '../k8s/work-queue';
import type { OperatorMetrics } from '../metrics';
import { progressListener } from '../workers/progress-listener';
import { reconcileLoop } from './controller';
import { operatorScope, orphanSweep } from './orphans';
import { consumerScaler } from './scaler';
import { UserGenerationJobReconciler } from './user-generation-job.reconciler';

/**
 * Everything the leader runs, made afresh each time this replica becomes the leader, as named workers: the informer feeding the work queue, the reconcile
 * loop, the job publisher, the consumer scaler, the progress listener and the periodic resync.
 */
export function leaderWorkers(config: OperatorConfig, io: OperatorAdapters, announce: (job: JobView) => void, metrics: OperatorMetrics, logger: Logger) {
  const queue = new WorkQueue(undefined, undefined, { onAdd: () => metrics.queueAdds.inc(), onRetry: () => metrics.queueRetries.inc() });
  const informer = new Informer(
    io.kube,
    (key) => queue.add(key),
    logger,
    { onRequest: (kind) => metrics.kubeRequests.inc({ kind }), onError: (reason) => metrics.watchErrors.inc({ reason }) },
    config.WATCH_TIMEOUT_SECONDS,
  );
  const identity = config.POD_NAME;
  const publisher = new JobPublisher({ jobs: io.jobs, sender: io.chunks, partitions: io.chunks.partitions, logger, onProgress: announce, ownerPrefix: 'operator', batchSize: config.PUBLISH_BATCH_SIZE });
  const afterJobCreated = config.FAULT_CRASH_AFTER_JOB_CREATED ? () => process.kill(process.pid, 'SIGKILL') : undefined;
  const reconciler = new UserGenerationJobReconciler({ cache: informer.cache, kube: io.kube, jobs: io.jobs, publisher, announce, logger, identity, maxCount: config.MAX_JOB_COUNT, scope: operatorScope(config.WATCH_NAMESPACE, config.LABEL_SELECTOR), afterJobCreated });
  // Off when an external autoscaler owns the consumers' replicas (SCALE_CONSUMERS=false).
  const scaler = config.SCALE_CONSUMERS
    ? consumerScaler(
        { cache: informer.cache, kube: io.kube, logger, identity, onScaled: (n) => metrics.consumerReplicas.set(n) },
        { namespace: config.CONSUMER_NAMESPACE, deployment: config.CONSUMER_DEPLOYMENT, min: config.MIN_CONSUMERS, partitions: io.chunks.partitions, everyMs: 2_000 },
      )
    : undefined;
  // Which resource owns a job: job ids are derived from uids, remembered once per uid.
  const jobIds = new Map<string, string>();
  const jobOf = (uid: string) => jobIds.get(uid) ?? jobIds.set(uid, jobIdFor(uid)).get(uid)!;
  const keyOfJob = (jobId: string) => [...informer.cache.entries()].find(([, ugj]) => jobOf(ugj.metadata.uid) === jobId)?.[0];
  const onProgress = (jobId: string, terminal: boolean) => {
    const key = keyOfJob(jobId);
    if (key) queue.add(key);
    if (terminal) scaler?.nudge();
  };
  const workers: Worker[] = [
    { name: 'informer', start: () => informer.start(), stop: () => informer.stop() },
    reconcileLoop(queue, reconciler, metrics, logger, config.RECONCILE_CONCURRENCY),
    publisher,
    ...(scaler ? [scaler] : []),
    progressListener(config.REDIS_URL, onProgress, logger),
    periodicWorker('resync', config.RESYNC_SECONDS * 1000, async () => informer.keys().forEach((key) => queue.add(key)), logger),
    orphanSweep(
      { cache: informer.cache, synced: () => informer.synced, jobs: io.jobs, publisher, announce, logger, scope: operatorScope(config.WATCH_NAMESPACE, config.LABEL_SELECTOR), onCancelled: () => metrics.orphansCancelled.inc() },
      config.RESYNC_SECONDS * 1000,
    ),
  ];
  return { workers, informer, queue };
}
