import Redis, { type RedisOptions } from 'ioredis';

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
