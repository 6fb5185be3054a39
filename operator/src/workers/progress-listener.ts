import { isActiveState, type PlatformEvent } from '@userforge/contracts';
import { createRedis, subscribeEvents, type Logger, type Redis, type Worker } from '@userforge/platform';

/**
 * The `progress-listener` worker: job progress events (published by consumers and publishers through
 * Redis) wake the resource that owns the job at once, so its status trails the job by milliseconds
 * rather than waiting for a running job's next look (RUNNING_RESYNC_MS) or the periodic resync.
 */
export function progressListener(redisUrl: string, onJob: (jobId: string, terminal: boolean) => void, logger: Logger): Worker {
  let subscriber: Redis | undefined;
  return {
    name: 'progress-listener',
    start() {
      subscriber = createRedis(redisUrl, { enableOfflineQueue: true, maxRetriesPerRequest: null });
      subscriber.on('error', () => undefined); // it reconnects by itself; the resync covers the gap
      subscriber.connect().catch(() => undefined);
      subscribeEvents<PlatformEvent>(subscriber, (event) => {
        if (event.type === 'job') onJob(event.job.id, !isActiveState(event.job.state));
      }).catch((err: unknown) => logger.warn({ err }, 'progress subscription failed; status follows the periodic resync'));
    },
    stop() {
      subscriber?.disconnect();
    },
  };
}
