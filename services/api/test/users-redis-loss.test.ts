import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { MongoClient, type Db } from 'mongodb';
import type { StatsView, UserView } from '@userforge/contracts';
import { ActivityRepository, activityKeys, type Activity } from '@userforge/users';
import { isolatedSettings, startIsolatedStack, serverDefs, stackPaths, down, up } from '@userforge/devstack';
import { loadConsumerConfig } from '../../consumer/src/config';
import { start as startConsumer, type RunningConsumer } from '../../consumer/src/main';
import { loadApiConfig } from '../src/config';
import { start, type RunningApi } from '../src/main';
import { testEnv, testMongoUrl, json, post, waitUntil, recount, FIRST_EVENTS_WAIT_MS } from '@userforge/testkit';

const person = (first: string, country: string) => ({
  name: { first, last: 'Recount' },
  email: `${first.toLowerCase()}.${Date.now()}@example.org`,
  username: `${first.toLowerCase()}.recount`,
  phone: '+1 555 0100',
  gender: 'male',
  birthDate: '1980-05-05',
  address: { street: '2 Ledger Lane', city: 'Tally', country },
});
const AGENTS = {
  chromeWindows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  safariIphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1',
  firefoxLinux: 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
  none: '',
};

describe('activity figures after Redis lost its data (its own Redis): rebuilt from MongoDB', () => {
  const dbUrl = testMongoUrl('api_redis_loss');
  let stack: Awaited<ReturnType<typeof startIsolatedStack>>;
  let api: RunningApi;
  let consumer: RunningConsumer;
  let client: MongoClient;
  let db: Db;
  let redis: Redis;
  let base: string;

  beforeAll(async () => {
    stack = await startIsolatedStack(await isolatedSettings('redis-loss'), ['redis']);
    const { KAFKA_BROKERS } = testEnv();
    const common = { MONGO_URL: dbUrl, REDIS_URL: stack.env.REDIS_URL, KAFKA_BROKERS, LOG_LEVEL: 'silent' };
    api = await start(loadApiConfig({ ...common, PORT: '0', HOST: '127.0.0.1' }));
    consumer = await startConsumer(
      loadConsumerConfig({ ...common, METRICS_PORT: '0', KAFKA_GROUP_ID: `loss-${randomUUID()}`, KAFKA_EVENTS_GROUP_ID: `loss-ev-${randomUUID()}`, KAFKA_SESSION_TIMEOUT_MS: '8000' }),
    );
    base = `http://127.0.0.1:${api.port}`;
    client = await MongoClient.connect(dbUrl);
    db = client.db();
    redis = new Redis(stack.env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  }, 120_000);
  afterAll(async () => {
    redis?.disconnect();
    await client?.close();
    await consumer?.stop();
    await api?.stop();
    await stack?.stop();
  }, 60_000);

  const stats = async () => {
    const { body } = await json<StatsView>(await fetch(`${base}/v1/stats`));
    const { computedAt, ...figures } = body;
    return { at: Date.parse(computedAt), figures };
  };
  const act = (user: UserView, agent: string) => post(`${base}/v1/users/${user.id}/activity`, { type: 'visit' }, { 'user-agent': agent });

  it('gives the same figures before the loss, after the rebuild, and in a full recount', async () => {
    const users: UserView[] = [];
    for (const [first, country] of [['Ulf', 'Ledgerland'], ['Vic', 'Ledgerland'], ['Wim', 'Abacus']]) {
      const res = await json<UserView>(await post(`${base}/v1/users`, person(first!, country!)));
      expect(res.status).toBe(201);
      users.push(res.body);
    }
    const [ulf, vic, wim] = users as [UserView, UserView, UserView];
    const plan: [UserView, string][] = [
      [ulf, AGENTS.chromeWindows], [ulf, AGENTS.chromeWindows], [ulf, AGENTS.safariIphone],
      [vic, AGENTS.firefoxLinux], [vic, AGENTS.none], [wim, AGENTS.safariIphone],
    ];
    for (const [user, agent] of plan) expect((await act(user, agent)).status).toBe(202);
    await waitUntil(() => db.collection('activities').countDocuments({}), (n) => n === plan.length, FIRST_EVENTS_WAIT_MS);
    const before = await waitUntil(stats, (s) => s.figures.totalActivityEvents === plan.length && s.figures.totalUsers === 3, 30_000);
    expect(before.figures).toEqual(await recount(db, before.at));
    expect(before.figures.devices.length).toBeGreaterThan(1);

    // Redis loses everything: stopped, its data directory (AOF included) deleted, started empty.
    const redisDefs = serverDefs(stack.settings, ['redis']);
    await down(stack.settings, redisDefs);
    fs.rmSync(path.join(stackPaths(stack.settings).data, 'redis'), { recursive: true, force: true });
    const lostAt = Date.now();
    await up(stack.settings, redisDefs);

    const marker = activityKeys(db.databaseName).built;
    await redis.connect();
    const builtAt = await waitUntil(() => redis.get(marker), (v) => v !== null, 30_000, 100);
    expect(Date.parse(builtAt!)).toBeGreaterThanOrEqual(lostAt); // rebuilt after the loss, not left over
    const after = await waitUntil(stats, (s) => s.figures.totalActivityEvents === plan.length && s.figures.totalUsers === 3, 30_000);
    expect(after.figures).toEqual(before.figures);
    expect(after.figures).toEqual(await recount(db, after.at));

    // A redelivered activity still counts once (the rebuild marked what it counted), and new ones count.
    const [stored] = await db.collection('activities').find({}).limit(1).toArray();
    const { _id, userId, ...rest } = stored!;
    await new ActivityRepository(db, redis).count({ ...rest, id: String(_id), userId: String(userId) } as Activity);
    expect((await stats()).figures).toEqual(before.figures);
    expect((await act(wim, AGENTS.firefoxLinux)).status).toBe(202);
    const more = await waitUntil(stats, (s) => s.figures.totalActivityEvents === plan.length + 1, 30_000);
    expect(more.figures).toEqual(await recount(db, more.at));
  }, 300_000);
});
