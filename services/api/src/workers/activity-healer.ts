import type { Logger, Redis, Worker } from '@userforge/platform';
import type { ActivityRepository } from '@userforge/users';

const EVERY_MS = 30_000;

/**
 * The `activity-healer` worker rebuilds the activity figures from the activities collection when
 * Redis has lost them (their marker is missing): at start, whenever Redis returns, and every 30 s
 * (a rebuild that failed, or one another instance gave up). Until then the consumers' counting waits.
 */
export function activityHealer(activities: ActivityRepository, redis: Redis, logger: Logger): Worker {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const check = async () => {
    if (redis.status !== 'ready' || (await activities.isBuilt())) return;
    const started = Date.now();
    const counted = await activities.rebuild();
    if (counted !== null) logger.info({ activities: counted, ms: Date.now() - started }, 'activity figures rebuilt from the database');
  };
  const run = () => {
    running ??= check()
      .catch((err: unknown) => logger.warn({ err }, 'activity rebuild failed; tried again soon'))
      .finally(() => (running = undefined));
  };
  return {
    name: 'activity-healer',
    start() {
      run(); // not awaited: the API serves meanwhile, and counting waits for the figures
      redis.on('ready', run);
      timer = setInterval(run, EVERY_MS);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      redis.off('ready', run);
      await running;
    },
  };
}
