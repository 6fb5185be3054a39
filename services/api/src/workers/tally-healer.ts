import type { Logger, Redis, Worker } from '@userforge/platform';
import type { UserTallyRepository } from '@userforge/users';

/** How far back the periodic heal looks: covers late inserts and clock skew between processes. */
const WINDOW_MS = 5 * 60_000;
const EVERY_MS = 30_000;

/**
 * The `tally-healer` worker applies the tally deltas whose Redis step failed (Redis down), and all of
 * them after Redis lost its data. A full pass at start and whenever Redis returns; between them
 * every 30 s a pass over the deltas of the last few minutes (a write that failed only towards
 * Redis while this API's own connection stayed up), so the periodic cost does not grow with history.
 */
export function tallyHealer(tally: UserTallyRepository, redis: Redis, logger: Logger): Worker {
  let fullHealDone = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const heal = (sinceMs?: number) => {
    if (redis.status !== 'ready') return Promise.resolve();
    return tally.heal(sinceMs).then(
      (n) => {
        if (sinceMs === undefined) fullHealDone = true;
        if (n) logger.info({ applied: n, full: sinceMs === undefined }, 'user tally healed');
      },
      (err: unknown) => logger.warn({ err }, 'tally heal failed'),
    );
  };
  const healFull = () => void (running = heal());
  return {
    name: 'tally-healer',
    async start() {
      await heal();
      redis.on('ready', healFull); // catch up at once when Redis returns
      timer = setInterval(() => void (running = fullHealDone ? heal(Date.now() - WINDOW_MS) : heal()), EVERY_MS);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      redis.off('ready', healFull);
      await running;
    },
  };
}
