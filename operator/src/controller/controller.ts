import { isUnavailable, type Logger, type Worker } from '@userforge/platform';
import { statusOf } from '../k8s/client';
import type { WorkQueue } from '../k8s/work-queue';
import type { OperatorMetrics } from '../metrics';
import type { UserGenerationJobReconciler } from './user-generation-job.reconciler';

/**
 * The `reconcile-loop` worker: `concurrency` loops take keys from the queue and reconcile them; a
 * failure comes back with per-key backoff, a success is forgotten and requeued when it asked to be.
 */
export function reconcileLoop(
  queue: WorkQueue,
  reconciler: Pick<UserGenerationJobReconciler, 'reconcile'>,
  metrics: OperatorMetrics,
  logger: Logger,
  concurrency = 4,
): Worker {
  let loops: Promise<void>[] = [];
  const loop = async () => {
    for (;;) {
      const key = await queue.get();
      if (key === null) return;
      metrics.queueDepth.set(queue.depth);
      const end = metrics.duration.startTimer();
      try {
        const again = await reconciler.reconcile(key);
        queue.forget(key);
        if (again !== null) queue.addAfter(key, again);
        metrics.reconciles.inc({ result: again === null ? 'success' : 'requeue' });
      } catch (err) {
        const delay = queue.addRateLimited(key);
        // A write whose precondition no longer held (the cache was behind): not a failure, look again.
        const conflict = statusOf(err) === 409;
        // MongoDB or Kafka out of reach: waiting for them, not a failure of this resource.
        const unavailable = isUnavailable(err);
        metrics.reconciles.inc({ result: conflict ? 'conflict' : unavailable ? 'unavailable' : 'error' });
        if (conflict) logger.debug({ key, err: (err as Error)?.message ?? err, retryInMs: delay }, 'reconcile met a newer object; retrying');
        else if (unavailable) logger.info({ key, err: (err as Error)?.message ?? err, retryInMs: delay }, 'reconcile waits for the servers');
        else logger.warn({ key, err: (err as Error)?.message ?? err, retryInMs: delay }, 'reconcile failed');
      } finally {
        end();
        queue.done(key);
      }
    }
  };
  return {
    name: 'reconcile-loop',
    start() {
      loops = Array.from({ length: concurrency }, loop);
    },
    async stop() {
      queue.shutdown();
      await Promise.all(loops);
    },
  };
}
