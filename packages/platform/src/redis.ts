import Redis, { type RedisOptions } from 'ioredis';
import type { Logger } from './logger';
import { StartAborted, waitFor } from './wait-for';

const defaultRetryStrategy = (attempt: number) => Math.min(attempt * 200, 2_000);

export type { Redis };

/**
 * One shared client per process. Commands fail fast while Redis is unreachable (no offline queue,
 * one attempt) so callers can fall back to the database; the client keeps reconnecting by itself.
 */
export function createRedis(url: string, overrides: RedisOptions = {}): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: defaultRetryStrategy,
    lazyConnect: true,
    ...overrides,
  });
}

/**
 * Creates a client without making start-up wait for Redis: while it is unreachable, `waitFor`
 * retries the first connection in the background (logged, with the start-up backoff) and readiness
 * checks report the outage; once connected, the client reconnects by itself. `signal` (a Teardown's)
 * ends the background wait.
 */
export async function connectRedis(url: string, logger: Logger, opts: { signal?: AbortSignal; overrides?: RedisOptions } = {}): Promise<Redis> {
  let reached = false;
  const reconnect = opts.overrides?.retryStrategy ?? defaultRetryStrategy;
  // Until the first connection, each attempt is waitFor's: the client must not retry on its own too.
  const redis = createRedis(url, { ...opts.overrides, retryStrategy: (attempt) => (reached ? reconnect(attempt) : null) });
  redis.on('error', () => undefined); // each failed reconnect would otherwise be an unhandled 'error' event
  redis.once('ready', () => (reached = true));
  const connect = async () => {
    if (redis.status === 'ready' || reached) return;
    await redis.connect();
  };
  // The first attempt is awaited (at most the connect timeout), so a reachable Redis is in use from the start.
  const firstAttempt = new Promise((resolve) => redis.once('ready', resolve).once('end', resolve));
  const waiting = waitFor('redis', connect, { logger, signal: opts.signal }).catch((err: unknown) => {
    if (!(err instanceof StartAborted)) logger.error({ err, server: 'redis' }, 'redis settings are unusable; running without it');
  });
  await Promise.race([firstAttempt, waiting]);
  return redis;
}
