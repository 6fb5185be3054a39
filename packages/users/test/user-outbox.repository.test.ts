import { Topics } from '@userforge/contracts';
import { MongoClient, type Db } from 'mongodb';
import { UserOutboxRepository, type UserEvent } from '../src';
import { testMongoUrl } from '@userforge/testkit';

/** The outbox collection against the real database. */
describe('UserOutboxRepository (real database)', () => {
  let client: MongoClient;
  let db: Db;
  let outbox: UserOutboxRepository;

  const updated = (userId: string, at: Date): UserEvent => ({ userId, topic: Topics.userUpdatedSingle, at, message: { v: 1, userId, fields: ['jobTitle'], at: at.toISOString() } });

  beforeAll(async () => {
    client = await MongoClient.connect(testMongoUrl('user_outbox'));
    db = client.db();
    await db.dropDatabase();
    outbox = new UserOutboxRepository(db);
    await outbox.ensureIndexes();
    await outbox.ensureIndexes(); // every start makes sure again
  });

  afterAll(async () => {
    await db.dropDatabase();
    await client.close();
  });

  it('keeps events in write order with their state, and removes them', async () => {
    const now = new Date();
    const a = await outbox.add(updated('a'.repeat(24), now));
    const b = await outbox.add(updated('b'.repeat(24), new Date(now.getTime() - 1_000))); // an earlier time, stored later
    const c = await outbox.add(updated('a'.repeat(24), now), 'ready');
    expect(await outbox.markReady(a)).toBe(true);
    expect(await outbox.markReady('f'.repeat(26))).toBe(false);

    const events = await outbox.oldest(10);
    expect(events.map((e) => [e.id, e.state])).toEqual([[a, 'ready'], [b, 'pending'], [c, 'ready']]);
    expect(events[0]).toEqual({ id: a, ...updated('a'.repeat(24), now), state: 'ready' });
    expect(await db.collection('user_outbox').findOne({ _id: a as never })).toMatchObject({ key: 'a'.repeat(24) });

    await outbox.discard(b);
    await outbox.remove([a, c]);
    expect(await outbox.count()).toBe(0);
  });

  it('marks many events ready at once and names the ones no longer there; removes many, missing ones too', async () => {
    const now = new Date();
    const ids = await outbox.addMany(['c', 'd', 'e'].map((l) => updated(l.repeat(24), now)));
    expect(ids).toHaveLength(3);
    await outbox.remove([ids[1]!]);
    expect(await outbox.markReadyMany(ids)).toEqual([ids[1]]);
    expect((await outbox.oldest(10)).map((e) => [e.id, e.state])).toEqual([[ids[0], 'ready'], [ids[2], 'ready']]);
    expect(await outbox.markReadyMany([])).toEqual([]);
    await outbox.remove([]);
    await outbox.remove([...ids, 'f'.repeat(26)]);
    expect(await outbox.count()).toBe(0);
  });

  it("marks and removes a purge window's worth of events in one call each (more than the database server's connection pool)", async () => {
    const now = new Date();
    const ids = await outbox.addMany(Array.from({ length: 1_000 }, (_, i) => updated(i.toString(16).padStart(24, '0'), now)));
    expect(await outbox.markReadyMany(ids)).toEqual([]);
    expect(await db.collection('user_outbox').countDocuments({ state: 'ready' })).toBe(1_000);
    await outbox.remove(ids);
    expect(await outbox.count()).toBe(0);
  });
});
