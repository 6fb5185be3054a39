import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { METRIC_PREFIX } from '@userforge/platform';

export function createOperatorMetrics(registry: Registry) {
  const p = `${METRIC_PREFIX}operator_`;
  return {
    reconciles: new Counter({ name: `${p}reconciles_total`, help: 'Reconciles of UserGenerationJobs by result.', labelNames: ['result'] as const, registers: [registry] }),
    duration: new Histogram({
      name: `${p}reconcile_duration_seconds`,
      help: 'Time one reconcile of a UserGenerationJob took.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    queueDepth: new Gauge({ name: `${p}queue_depth`, help: 'Keys waiting in the work queue.', registers: [registry] }),
    kubeRequests: new Counter({
      name: `${p}kube_requests_total`,
      help: 'Requests to the Kubernetes API by the informer (list, watch) and the leader election (lease), answered or not.',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    leader: new Gauge({ name: `${p}leader`, help: '1 while this replica holds the leader lease.', registers: [registry] }),
    consumerReplicas: new Gauge({ name: `${p}consumer_replicas_desired`, help: 'Consumer replicas the operator last asked for.', registers: [registry] }),
  };
}
export type OperatorMetrics = ReturnType<typeof createOperatorMetrics>;
