import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { METRIC_PREFIX } from '@userforge/platform';
import type { UserGenerationJob } from './api/v1alpha1/user-generation-job.types';

/** What the leader's session shows the gauges read at scrape time (nothing while following). */
export interface LeaderView {
  longestRunningMs(): number;
  resources(): Iterable<UserGenerationJob>;
}

/** Seconds the longest-Terminating resource has waited for its finalizer (0: none is). */
export function oldestTerminatingSeconds(resources: Iterable<UserGenerationJob>, now = Date.now()): number {
  let oldest = now;
  for (const r of resources) if (r.metadata.deletionTimestamp) oldest = Math.min(oldest, Date.parse(r.metadata.deletionTimestamp));
  return (now - oldest) / 1000;
}

export function createOperatorMetrics(registry: Registry) {
  const p = `${METRIC_PREFIX}operator_`;
  let view: LeaderView | undefined;
  return {
    /** The leader's session hands in its queue and cache; undefined when it ends. */
    show(leader: LeaderView | undefined) {
      view = leader;
    },
    queueAdds: new Counter({ name: `${p}workqueue_adds_total`, help: 'Keys queued for a reconcile (not those merged into one already waiting).', registers: [registry] }),
    queueRetries: new Counter({ name: `${p}workqueue_retries_total`, help: 'Keys re-queued with backoff after a failed reconcile.', registers: [registry] }),
    longestRunning: new Gauge({
      name: `${p}workqueue_longest_running_seconds`,
      help: 'How long the longest reconcile now running has been at it.',
      registers: [registry],
      collect() {
        this.set((view?.longestRunningMs() ?? 0) / 1000);
      },
    }),
    oldestTerminating: new Gauge({
      name: `${p}oldest_terminating_seconds`,
      help: 'Seconds the longest-Terminating UserGenerationJob has waited for its finalizer to be released (0: none).',
      registers: [registry],
      collect() {
        this.set(view ? oldestTerminatingSeconds(view.resources()) : 0);
      },
    }),
    kubeRequestDuration: new Histogram({
      name: `${p}kube_request_duration_seconds`,
      help: 'Requests to the Kubernetes API (not watches) by verb and HTTP status (0: no answer).',
      labelNames: ['verb', 'code'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
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
      help: 'Requests to the Kubernetes API by the informers (list, watch; resource: usergenerationjobs or deployments) and the leader election (lease), answered or not.',
      labelNames: ['kind', 'resource'] as const,
      registers: [registry],
    }),
    watchErrors: new Counter({
      name: `${p}watch_errors_total`,
      help: 'Failed lists and watches by reason (idle_timeout, gone, malformed, handler, error, list) and resource (usergenerationjobs, deployments); each is retried with backoff.',
      labelNames: ['reason', 'resource'] as const,
      registers: [registry],
    }),
    orphansCancelled: new Counter({
      name: `${p}orphan_jobs_cancelled_total`,
      help: 'Jobs cancelled because their UserGenerationJob was deleted while MongoDB could not be reached.',
      registers: [registry],
    }),
    leader: new Gauge({ name: `${p}leader`, help: '1 while this replica holds the leader lease.', registers: [registry] }),
    consumerReplicas: new Gauge({ name: `${p}consumer_replicas_desired`, help: 'Consumer replicas the operator last asked for.', registers: [registry] }),
  };
}
export type OperatorMetrics = ReturnType<typeof createOperatorMetrics>;
