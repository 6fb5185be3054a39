import os from 'node:os';
import { z } from 'zod';
import { connectionShape, env, loadConfig } from '@userforge/platform';

export const operatorConfigShape = {
  ...connectionShape,
  /** Kubeconfig to use; unset: the pod's service account (in a cluster) or ~/.kube/config. */
  KUBECONFIG: z.string().min(1).optional(),
  /** Watch UserGenerationJobs of this namespace only; unset: every namespace. */
  WATCH_NAMESPACE: z.string().min(1).optional(),
  /** The consumer Deployment the operator scales. */
  CONSUMER_DEPLOYMENT: env.str('userforge-consumer'),
  CONSUMER_NAMESPACE: env.str(process.env.POD_NAMESPACE ?? 'default'),
  /** Consumer replicas while no job runs. */
  MIN_CONSUMERS: env.int(1, 0, 1000),
  /** Partitions of the chunk topic when the operator creates it (an existing topic keeps its own). */
  KAFKA_PARTITIONS: env.int(12, 1, 1000),
  LEASE_NAMESPACE: env.str(process.env.POD_NAMESPACE ?? 'default'),
  LEASE_NAME: env.str('userforge-operator'),
  LEASE_DURATION_SECONDS: env.int(15, 2, 300),
  /** Who this replica is in the lease and in Events (the pod's name in a cluster). */
  POD_NAME: env.str(`${os.hostname()}-${process.pid}`),
  /** Every resource is reconciled again this often, whatever the watch said. */
  RESYNC_SECONDS: env.int(30, 1, 3600),
  RECONCILE_CONCURRENCY: env.int(4, 1, 64),
  /** Fault injection for the crash test: die (SIGKILL) right after creating a job, before its status is written. */
  FAULT_CRASH_AFTER_JOB_CREATED: env.bool(false),
  /** /metrics, /healthz and /readyz. */
  METRICS_PORT: env.port(9300),
};

export type OperatorConfig = ReturnType<typeof loadOperatorConfig>;

export function loadOperatorConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig(operatorConfigShape, source);
}
