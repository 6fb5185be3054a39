import { MongoClient, type Db } from 'mongodb';
import { Redis } from 'ioredis';
import { TallyBuilder, UserTallyRepository, type TallyDelta } from '../src';
import { testEnv, testMongoUrl } from '@userforge/testkit';

/** The tally's heal passes against the real database and Redis. */
describe('UserTallyRepository.heal (real database and Redis)', () => {
  let client: MongoClient;
  let db: Db;
  let redis: Redis;
  let tally: UserTallyRepository;

  const delta = (id: string, seq: number, at: Date): TallyDelta =>
    new TallyBuilder().add({ seq, gender: 'female', address: { country: 'Chile' } } as never).build(id, at);

  beforeAll(async () => {
    client = await MongoClient.connect(testMongoUrl('user_tally'));
    db = client.db();
    await db.dropDatabase();
    redis = new Redis(testEnv().REDIS_URL);
    tally = new UserTallyRepository(db, redis);
    await redis.del(...Object.values(tally.keys));
    await tally.ensureIndexes();
  });

  afterAll(async () => {
    await redis.del(...Object.values(tally.keys));
    await db.dropDatabase();
    await Promise.all([client.close(), redis.quit()]);
  });

  it('applies recent missed deltas in a windowed pass, old ones in a full pass, each once', async () => {
    const now = Date.now();
    expect(await tally.record(delta('chunk:a', 1, new Date(now)))).toEqual({ appliedNow: true });
    // Stored, but their Redis step never happened (Redis was unreachable for their writer).
    await tally.store(delta('chunk:recent', 2, new Date(now - 60_000)));
    await tally.store(delta('chunk:old', 3, new Date(now - 3_600_000)));
    expect((await tally.snapshot()).users).toBe(1);

    expect(await tally.heal(now - 5 * 60_000)).toBe(1); // only the recent one
    expect((await tally.snapshot()).users).toBe(2);
    expect(await tally.heal(now - 5 * 60_000)).toBe(0); // already applied

    expect(await tally.heal()).toBe(1); // the full pass finds the old one
    const snapshot = await tally.snapshot();
    expect(snapshot.users).toBe(3);
    expect(snapshot.countries.get('Chile')).toBe(3);
    expect(await tally.heal()).toBe(0);
  });
});
