import type { Redis } from 'ioredis';
import type { Db } from 'mongodb';
import { UserOutboxRepository, UserRepository, UserTallyRepository, purgeDeps } from '../src';

/** The wiring every process that purges builds (no servers: the calls it makes are recorded). */
describe('purgeDeps', () => {
  const db = { databaseName: 'wiring', collection: () => ({}) } as unknown as Db;
  const bumped: string[] = [];
  const redis = { incr: async (key: string) => (bumped.push(key), bumped.length) } as unknown as Redis;
  const stores = { users: new UserRepository(db), tally: new UserTallyRepository(db, redis), outbox: new UserOutboxRepository(db) };
  const jobs = { findById: async () => null, recordPurge: async () => undefined };

  it('hides cached listings through the listing version every cached page key carries', async () => {
    const deps = purgeDeps({ ...stores, jobs }, redis, { relay: { nudge: () => undefined } });
    await deps.invalidateListings();
    expect(bumped).toEqual(['uf:wiring:users:version']);
    expect(deps).not.toHaveProperty('windowSize');
  });

  it('passes the relay to wake and the window size through', () => {
    const relay = { nudge: jest.fn() };
    const deps = purgeDeps({ ...stores, jobs }, redis, { relay, windowSize: 250 });
    deps.relay.nudge();
    expect(relay.nudge).toHaveBeenCalledTimes(1);
    expect(deps.windowSize).toBe(250);
  });

  it('leaves a Redis that cannot be reached alone: nothing is cached to hide then', async () => {
    const down = { incr: async () => Promise.reject(new Error('connection refused')) } as unknown as Redis;
    await expect(purgeDeps({ ...stores, jobs }, down, { relay: { nudge: () => undefined } }).invalidateListings()).resolves.toBeUndefined();
  });
});
