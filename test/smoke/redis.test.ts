import { randomUUID } from 'node:crypto';
import { createRedis, type Redis } from '@userforge/platform';
import { testEnv } from '@userforge/testkit';

describe('Redis (real server)', () => {
  let redis: Redis;
  beforeAll(async () => {
    redis = createRedis(testEnv().REDIS_URL);
    await redis.connect();
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('round-trips a value with a TTL', async () => {
    const key = `smoke:${randomUUID()}`;
    expect(await redis.set(key, 'v1', 'EX', 30)).toBe('OK');
    expect(await redis.get(key)).toBe('v1');
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30);
    expect(await redis.del(key)).toBe(1);
    expect(await redis.get(key)).toBeNull();
  });

  it('has FLUSHDB and FLUSHALL disabled, as in the original deployment', async () => {
    await expect(redis.call('FLUSHDB')).rejects.toThrow(/unknown command/i);
    await expect(redis.call('FLUSHALL')).rejects.toThrow(/unknown command/i);
  });
});
