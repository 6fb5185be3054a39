import type { Redis } from 'ioredis';
import { invalidateListings } from '@userforge/users';

export type CacheStatus = 'HIT' | 'MISS' | 'BYPASS';

/** Reads the listing version and the page stored under it in one round trip. */
const GET_SCRIPT = `
local v = redis.call('GET', KEYS[1]) or '0'
return {v, redis.call('GET', ARGV[1] .. v .. ':' .. ARGV[2]) or false}`;

/**
 * Cache-aside for listings. Keys carry the listing version, which every change to users bumps, so a
 * change hides every cached page at once; the TTL bounds staleness should a bump ever be missed.
 * Concurrent misses of one key in this process share one rebuild. Without Redis: BYPASS.
 */
export class PageCache {
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
    private readonly keys: { version: string; pages: string },
  ) {}

  async get(key: string, build: () => Promise<unknown>): Promise<{ body: string; status: CacheStatus }> {
    let version: string | null = null;
    if (this.ttlSeconds > 0 && this.redis.status === 'ready') {
      try {
        const [v, cached] = (await this.redis.eval(GET_SCRIPT, 1, this.keys.version, this.keys.pages, key)) as [string, string | null];
        if (cached) return { body: cached, status: 'HIT' };
        version = v;
      } catch {
        version = null;
      }
    }
    const flightKey = `${version ?? 'bypass'}:${key}`;
    let pending = this.inFlight.get(flightKey);
    if (!pending) {
      pending = build().then((value) => JSON.stringify(value));
      this.inFlight.set(flightKey, pending);
      void pending.finally(() => this.inFlight.delete(flightKey)).catch(() => undefined);
    }
    const body = await pending;
    if (version === null) return { body, status: 'BYPASS' };
    // Best effort: a failed write only means the next request rebuilds.
    this.redis.set(`${this.keys.pages}${version}:${key}`, body, 'EX', this.ttlSeconds).catch(() => undefined);
    return { body, status: 'MISS' };
  }

  /** Hides every cached listing (for changes that do not go through the tally, such as edits). */
  invalidate(): Promise<void> {
    return invalidateListings(this.redis, this.keys);
  }
}
