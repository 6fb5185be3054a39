import os from 'node:os';
import { z } from 'zod';
import { MAX_JOB_COUNT } from '@userforge/contracts';
import { connectionShape, env, loadConfig } from '@userforge/platform';

export const operatorConfigShape = {
  ...connectionShape,
  /** Kubeconfig to use; unset: the pod's service account (in a cluster) or ~/.kube/config. */
  KUBECONFIG: z.string().min(1).optional(),
  /** Watch UserGenerationJobs of this namespace only; unset: every namespace. */
  WATCH_NAMESPACE: z.string().min(1).optional(),
  /** Reconcile only UserGenerationJobs matching this label selector (e.g. userforge.io/instance=blue), so two operators never share one. */
  LABEL_SELECTOR: z.string().min(1).optional(),
  /** The consumer Deployment the operator scales. */
  CONSUMER_DEPLOYMENT: env.str('userforge-consumer'),
  CONSUMER_NAMESPACE: env.str(process.env.POD_NAMESPACE ?? 'default'),
  /** Scale the consumer Deployment to the jobs at work; false: an external autoscaler owns its replicas, never written here. */
  SCALE_CONSUMERS: env.bool(true),
  /** Consumer replicas while no job runs. */
  MIN_CONSUMERS: env.int(1, 0, 1000),
  /** Partitions of the chunk topic when the operator creates it (an existing topic keeps its own). */
  KAFKA_PARTITIONS: env.int(12, 1, 1000),
  LEASE_NAMESPACE: env.str(process.env.POD_NAMESPACE ?? 'default'),
  LEASE_NAME: env.str('userforge-operator'),
  /** Seconds a lease lasts without renewal; the renew deadline and retry period scale with it as client-go's 15/10/2. */
  LEASE_DURATION_SECONDS: env.int(15, 2, 300),
  /** Each watch asks the server to end it after this long; one silent past it (plus a margin) is presumed dead. */
  WATCH_TIMEOUT_SECONDS: env.int(240, 5, 3600),
  /** Who this replica is in the lease and in Events (the pod's name in a cluster). */
  POD_NAME: env.str(`${os.hostname()}-${process.pid}`),
  /** Every resource is reconciled again this often, whatever the watch said. */
  RESYNC_SECONDS: env.int(30, 1, 3600),
  RECONCILE_CONCURRENCY: env.int(4, 1, 64),
  /** Chunks the job publisher sends to Kafka per batch; a pause (spec.suspend) stops it between two batches. */
  PUBLISH_BATCH_SIZE: env.int(500, 1, 10_000),
  /** The most users a UserGenerationJob may ask for, as the API's MAX_JOB_COUNT: a larger one is refused (Accepted=False). */
  MAX_JOB_COUNT: env.int(MAX_JOB_COUNT, 1, MAX_JOB_COUNT),
  /** Fault injection for the crash test: die (SIGKILL) right after creating a job, before its status is written. */
  FAULT_CRASH_AFTER_JOB_CREATED: env.bool(false),
  /** /metrics, /healthz and /readyz. */
  METRICS_PORT: env.port(9300),
};

export type OperatorConfig = ReturnType<typeof loadOperatorConfig>;

export function loadOperatorConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig(operatorConfigShape, source);
}
