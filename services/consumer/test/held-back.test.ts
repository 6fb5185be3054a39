import { randomUUID } from 'node:crypto';
import { MongoClient, ObjectId, type Db } from 'mongodb';
import { Redis } from 'ioredis';
import { Topics, encodeMessage } from '@userforge/contracts';
import { createKafka, createLogger } from '@userforge/platform';
import { ActivityRepository, activityKeys } from '@userforge/users';
import { loadConsumerConfig } from '../src/config';
import { start as startConsumer, type RunningConsumer } from '../src/main';
import { testEnv, testMongoUrl, waitUntil } from '@userforge/testkit';

/**
 * While Redis has lost the activity figures (and until they are rebuilt), a user deletion cannot be
 * taken out of them: the consumer must hold that message back and apply it once they are built —
 * neither skip it nor crash-loop over it. Real Kafka, FerretDB and Redis.
 */
const MONGO_URL = testMongoUrl('held_back');

describe('user events while the activity figures are being rebuilt', () => {
  const { REDIS_URL, KAFKA_BROKERS, brokers } = testEnv();
  const producer = createKafka({ clientId: 'held-back-test', brokers, logger: createLogger('test', 'silent') }).producer();
  let consumer: RunningConsumer | undefined;
  let client: MongoClient;
  let db: Db;
  let redis: Redis;
  let activities: ActivityRepository;

  beforeAll(async () => {
    client = await MongoClient.connect(MONGO_URL);
    db = client.db();
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    activities = new ActivityRepository(db, redis);
    await activities.ensureIndexes();
    await producer.connect();
  });
  afterAll(async () => {
    await consumer?.stop();
    await producer.disconnect();
    await db.dropDatabase();
    await client.close();
    redis.disconnect();
  });

  const heldBack = async (topic: string): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${consumer!.metricsPort}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('userforge_messages_held_back_total{') && l.includes(`topic="${topic}"`));
    return Number(line?.split(' ').pop());
  };
  const activitiesOf = (userId: string) => db.collection('activities').countDocuments({ userId: new ObjectId(userId) });

  it('holds a deletion back while the figures are missing, then applies it once, after the rebuild', async () => {
    const userId = new ObjectId().toHexString();
    await activities.rebuild();
    const visit = { userId, type: 'visit', device: 'desktop', browser: 'Firefox', os: 'Linux', userAgent: 'test' };
    for (const at of [new Date(Date.now() - 60_000), new Date()]) {
      const activity = { ...visit, id: new ObjectId().toHexString(), at };
      await activities.insert(activity);
      await activities.count(activity);
    }
    const keys = activityKeys(db.databaseName);
    expect(Number(await redis.get(keys.total))).toBe(2);
    // Redis loses the figures (a restart without persistence): every key of this database goes.
    const lost = await redis.keys(`uf:${db.databaseName}:act:*`);
    await redis.del(...lost);

    consumer = await startConsumer(
      loadConsumerConfig({ MONGO_URL, REDIS_URL, KAFKA_BROKERS, METRICS_PORT: '0', LOG_LEVEL: 'silent', KAFKA_GROUP_ID: `held-${randomUUID()}`, KAFKA_EVENTS_GROUP_ID: `held-ev-${randomUUID()}`, KAFKA_SESSION_TIMEOUT_MS: '8000' }),
    );
    expect(await heldBack(Topics.userDeletedSingle)).toBe(0); // the series exists before the first hold
    await producer.send({ topic: Topics.userDeletedSingle, messages: [{ key: userId, value: encodeMessage(Topics.userDeletedSingle, { v: 1, userId, at: new Date().toISOString() }) }] });

    // Held, paused, resumed and held again: it waits, and nothing of the user's activity is touched.
    await waitUntil(() => heldBack(Topics.userDeletedSingle), (n) => n >= 2, 60_000, 250);
    expect(await activitiesOf(userId)).toBe(2);

    // The rebuild counts the two activities again; the deletion then takes them out, exactly once.
    await activities.rebuild();
    await waitUntil(() => activitiesOf(userId), (n) => n === 0, 60_000, 250);
    expect(Number(await redis.get(keys.total))).toBe(0);
    expect(await redis.zscore(keys.byUser, userId)).toBeNull();
  });
});
