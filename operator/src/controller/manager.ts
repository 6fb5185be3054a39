import type { JobView } from '@userforge/contracts';
import { JobPublisher } from '@userforge/jobs';
import { periodicWorker, ServerUnavailable, type Logger, type Worker } from '@userforge/platform';
import type { ServerAdapters } from '../adapters';
import { jobIdFor } from '../api/v1alpha1/user-generation-job.types';
import type { OperatorConfig } from '../config';
import type { KubeClient } from '../k8s/client';
import { Informer } from '../k8s/informer';
import { WorkQueue } from '../k8s/work-queue';
import type { OperatorMetrics } from '../metrics';
import { progressListener } from '../workers/progress-listener';
import { reconcileLoop } from './controller';
import { operatorScope, orphanSweep } from './orphans';
import { consumerScaler } from './scaler';
import { UserGenerationJobReconciler, type JobStore } from './user-generation-job.reconciler';

/**
 * Everything the leader runs, made afresh each time this replica becomes the leader, as named
 * workers. `workers` need only the Kubernetes API (the informer feeding the work queue, the reconcile
 * loop, the consumer scaler and the informer of the Deployment it scales, the progress listener, the
 * periodic resync): a leader whose servers are out of reach still watches, and lets deleted
 * resources go (but for reclaimPolicy Delete, whose users must be purged first). `withServers` gives the rest once MongoDB and Kafka were reached (the job publisher,
 * the orphan sweep) and wakes every resource.
 */
export function leaderWorkers(config: OperatorConfig, kube: KubeClient, announce: (job: JobView) => void, metrics: OperatorMetrics, logger: Logger) {
  const queue = new WorkQueue(undefined, undefined, { onAdd: () => metrics.queueAdds.inc(), onRetry: () => metrics.queueRetries.inc() });
  // Off when an external autoscaler owns the consumers' replicas (SCALE_CONSUMERS=false): no Deployment watched, no replicas written.
  let scaler: ReturnType<typeof consumerScaler> | undefined;
  const nudgeScaler = () => scaler?.nudge();
  // Both watches count their requests and failures by resource (usergenerationjobs, deployments).
  const hooksFor = (resource: string) => ({
    onRequest: (kind: 'list' | 'watch') => metrics.kubeRequests.inc({ kind, resource }),
    onError: (reason: string) => metrics.watchErrors.inc({ reason, resource }),
    onSynced: nudgeScaler,
  });
  const ugjs = kube.jobs();
  // Every change of a resource is reconciled, and may change how many consumers are wanted.
  const informer = new Informer(ugjs, (key) => (queue.add(key), nudgeScaler()), logger, hooksFor(ugjs.resource), config.WATCH_TIMEOUT_SECONDS);
  const consumers = config.SCALE_CONSUMERS ? kube.deployment(config.CONSUMER_NAMESPACE, config.CONSUMER_DEPLOYMENT) : undefined;
  // The consumer Deployment, watched by name: a `kubectl scale`, or the Deployment created again, nudges the scaler.
  const deployments = consumers ? new Informer(consumers, nudgeScaler, logger, hooksFor(consumers.resource), config.WATCH_TIMEOUT_SECONDS) : undefined;
  const identity = config.POD_NAME;
  const scope = operatorScope(config.WATCH_NAMESPACE, config.LABEL_SELECTOR);
  let store: (JobStore & { partitions: number }) | undefined;
  const storeOrUnavailable = (): JobStore => {
    if (!store) throw new ServerUnavailable('MongoDB and Kafka have not been reached yet');
    return store;
  };
  const afterJobCreated = config.FAULT_CRASH_AFTER_JOB_CREATED ? () => process.kill(process.pid, 'SIGKILL') : undefined;
  const reconciler = new UserGenerationJobReconciler({ cache: informer.cache, kube, store: storeOrUnavailable, announce, logger, identity, maxCount: config.MAX_JOB_COUNT, scope, afterJobCreated });
  scaler = deployments
    ? consumerScaler(
        { jobs: informer, deployments, kube, logger, identity, onScaled: (n) => metrics.consumerReplicas.set(n) },
        // The chunk topic's partitions once Kafka said how many; the configured number until then.
        { namespace: config.CONSUMER_NAMESPACE, deployment: config.CONSUMER_DEPLOYMENT, min: config.MIN_CONSUMERS, partitions: () => store?.partitions ?? config.KAFKA_PARTITIONS },
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
    ...(deployments ? [{ name: 'consumer-deployment-informer', start: () => deployments.start(), stop: () => deployments.stop() }] : []),
    reconcileLoop(queue, reconciler, metrics, logger, config.RECONCILE_CONCURRENCY),
    ...(scaler ? [scaler] : []),
    progressListener(config.REDIS_URL, onProgress, logger),
    // The safety net of level-based control: every resource reconciled again, the consumers' number looked at again (from the caches: no request).
    periodicWorker(
      'resync',
      config.RESYNC_SECONDS * 1000,
      async () => {
        informer.keys().forEach((key) => queue.add(key));
        nudgeScaler();
      },
      logger,
    ),
  ];
  const withServers = (io: ServerAdapters): Worker[] => {
    const publisher = new JobPublisher({ jobs: io.jobs, sender: io.chunks, partitions: io.chunks.partitions, logger, onProgress: announce, ownerPrefix: 'operator', batchSize: config.PUBLISH_BATCH_SIZE });
    store = { jobs: io.jobs, publisher, purge: io.purge, partitions: io.chunks.partitions };
    return [
      publisher,
      orphanSweep({ cache: informer.cache, synced: () => informer.synced, jobs: io.jobs, publisher, announce, logger, scope, onCancelled: () => metrics.orphansCancelled.inc() }, config.RESYNC_SECONDS * 1000),
      // Resources that waited for the servers (in backoff) are looked at now, not after their delay.
      { name: 'servers-reached', start: () => informer.keys().forEach((key) => (queue.forget(key), queue.add(key))), stop: () => undefined },
    ];
  };
  return { workers, withServers, informer, queue };
}
