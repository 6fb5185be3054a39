import type { Redis } from 'ioredis';
import type { tallyKeys } from './user-tally.repository';

/**
 * Hides every cached listing of users at once: bumps the listing version that each cached page's key
 * carries (the API's page cache), so every process that changes users hides stale pages the same way.
 * Best effort: without Redis nothing is cached to hide, and the pages' TTL bounds a missed bump.
 */
export async function invalidateListings(redis: Redis, keys: Pick<ReturnType<typeof tallyKeys>, 'version'>): Promise<void> {
  await redis.incr(keys.version).catch(() => undefined);
}
