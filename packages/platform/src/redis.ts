import Redis, { type RedisOptions } from 'ioredis';
import type { Logger } from './logger';

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
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    lazyConnect: true,
    ...overrides,
  });
}

/**
 * Creates a client and tries to connect once, without failing start-up when Redis is down: the
 * client keeps reconnecting by itself, and readiness checks report the outage meanwhile.
 */
export async function connectRedis(url: string, logger: Logger, overrides: RedisOptions = {}): Promise<Redis> {
  const redis = createRedis(url, overrides);
  redis.on('error', () => undefined); // each failed reconnect would otherwise be an unhandled 'error' event
  await redis.connect().catch((err: unknown) => logger.warn({ err }, 'redis unreachable; will keep retrying'));
  return redis;
}
