import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { MongoClient, ObjectId, type Db } from 'mongodb';
import { Topics, type StatsView, type UserView } from '@userforge/contracts';
import { UserOutboxRepository } from '@userforge/users';
import { isolatedSettings, startIsolatedStack, serverDefs, down, up } from '@userforge/devstack';
import { loadConsumerConfig } from '../../consumer/src/config';
import { start as startConsumer, type RunningConsumer } from '../../consumer/src/main';
import { loadApiConfig } from '../src/config';
import { start, type RunningApi } from '../src/main';
import { testEnv, testMongoUrl, json, post, waitUntil, recount, FIRST_EVENTS_WAIT_MS } from '@userforge/testkit';

type ErrorBody = { error: { code: string; message: string } };
type Seen = { topic: string; userId: string; fields?: string[] };

const person = (first: string) => ({
  name: { first, last: 'Outbox' },
  email: `${first.toLowerCase()}.${Date.now()}@example.org`,
  username: `${first.toLowerCase()}.outbox`,
  phone: '+1 555 0100',
  gender: 'female',
  birthDate: '1990-01-01',
  address: { street: '1 Relay Road', city: 'Kafkaville', country: 'Outboxia' },
});
const CHROME_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const SAFARI_IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';
const USER_EVENT_TOPICS = [Topics.userCreatedSingle, Topics.userUpdatedSingle, Topics.userDeletedSingle];

describe('user events with Kafka stopped and restarted (its own Kafka): the outbox loses nothing', () => {
  const dbUrl = testMongoUrl('api_outbox');
  let stack: Awaited<ReturnType<typeof startIsolatedStack>>;
  let api: RunningApi;
  let consumer: RunningConsumer;
  let reader: Consumer | undefined;
  let client: MongoClient;
  let db: Db;
  let base: string;
  let kafkaDown = false;
  const kafkaDefs = () => serverDefs(stack.settings, ['kafka']);

  beforeAll(async () => {
    stack = await startIsolatedStack(await isolatedSettings('outbox'), ['kafka']);
    const common = { MONGO_URL: dbUrl, REDIS_URL: testEnv().REDIS_URL, KAFKA_BROKERS: stack.env.KAFKA_BROKERS, LOG_LEVEL: 'silent' };
    api = await start(loadApiConfig({ ...common, PORT: '0', HOST: '127.0.0.1' }));
    consumer = await startConsumer(
      loadConsumerConfig({ ...common, METRICS_PORT: '0', KAFKA_GROUP_ID: `outbox-${randomUUID()}`, KAFKA_EVENTS_GROUP_ID: `outbox-ev-${randomUUID()}`, KAFKA_SESSION_TIMEOUT_MS: '8000' }),
    );
    base = `http://127.0.0.1:${api.port}`;
    client = await MongoClient.connect(dbUrl);
    db = client.db();
  }, 180_000);
  afterAll(async () => {
    if (kafkaDown) await up(stack.settings, kafkaDefs()); // a failed run: let the Kafka clients leave cleanly
    await reader?.disconnect();
    await client?.close();
    await consumer?.stop();
    await api?.stop();
    await stack?.stop();
  }, 120_000);

  const send = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  const outbox = () => db.collection('user_outbox').find({}).sort({ _id: 1 }).toArray();
  const stats = async () => json<StatsView>(await fetch(`${base}/v1/stats`));
  const metric = async (name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(await (await fetch(`${base}/metrics`)).text())?.[1]);

  it('keeps every change and its event while Kafka is down, then delivers them all in order per user', async () => {
    const created = async (first: string) => {
      const res = await json<UserView>(await post(`${base}/v1/users`, person(first)));
      expect({ status: res.status, body: res.body }).toMatchObject({ status: 201 });
      return res.body;
    };
    const ann = await created('Ann'); // active, then deleted while Kafka is down
    const bob = await created('Bob'); // active, updated twice while Kafka is down
    for (const [id, ua] of [[ann.id, CHROME_WINDOWS], [ann.id, SAFARI_IPHONE], [bob.id, CHROME_WINDOWS]] as const) {
      expect((await post(`${base}/v1/users/${id}/activity`, { type: 'login' }, { 'user-agent': ua })).status).toBe(202);
    }
    await waitUntil(() => db.collection('activities').countDocuments({}), (n) => n === 3, FIRST_EVENTS_WAIT_MS);
    await waitUntil(stats, (s) => s.body.totalActivityEvents === 3, 30_000);
    await waitUntil(outbox, (events) => events.length === 0, 30_000);

    await down(stack.settings, kafkaDefs());
    kafkaDown = true;

    // Changes are accepted: each is written with its event, which waits in the outbox.
    const started = Date.now();
    const cy = await created('Cy');
    expect((await send('PATCH', `/v1/users/${bob.id}`, { jobTitle: 'Admiral' })).status).toBe(200);
    expect((await send('PATCH', `/v1/users/${bob.id}`, { company: 'Navy' })).status).toBe(200);
    expect((await send('PATCH', `/v1/users/${cy.id}`, { jobTitle: 'Engineer' })).status).toBe(200);
    expect((await send('DELETE', `/v1/users/${ann.id}`)).status).toBe(204);
    expect(Date.now() - started).toBeLessThan(5_000); // none of them waited for Kafka
    expect((await json<ErrorBody>(await send('GET', `/v1/users/${ann.id}`))).status).toBe(404);
    expect((await json<{ data: UserView[] }>(await send('GET', `/v1/users?country=Outboxia&limit=10`))).body.data.map((u) => u.id).sort()).toEqual(
      [bob.id, cy.id].sort(),
    );
    // Refused changes leave no event behind.
    const taken = await json<ErrorBody>(await post(`${base}/v1/users`, { ...person('Dup'), email: cy.email }));
    expect(taken.status).toBe(409);
    expect((await json<ErrorBody>(await send('PATCH', `/v1/users/${new ObjectId().toHexString()}`, { jobTitle: 'x' }))).status).toBe(404);
    // Activity has no database write to keep an event for: it fails cleanly, and stores nothing.
    const activity = await json<ErrorBody>(await post(`${base}/v1/users/${bob.id}/activity`, { type: 'login' }, { 'user-agent': CHROME_WINDOWS }));
    expect(activity.status).toBe(503);
    expect(activity.body.error).toEqual({ code: 'unavailable', message: expect.stringMatching(/Kafka is unavailable/) });

    expect(await db.collection('users').countDocuments({ _id: new ObjectId(ann.id) })).toBe(0);
    expect(await db.collection('users').findOne({ _id: new ObjectId(bob.id) })).toMatchObject({ jobTitle: 'Admiral', company: 'Navy' });
    expect(await db.collection('users').findOne({ _id: new ObjectId(cy.id) })).toMatchObject({ jobTitle: 'Engineer' });
    const waiting = await outbox();
    expect(waiting.map((e) => [e.topic, e.userId, e.state, e.message.fields && [...e.message.fields].sort()])).toEqual([
      [Topics.userCreatedSingle, cy.id, 'ready', Object.keys(person('Cy')).sort()],
      [Topics.userUpdatedSingle, bob.id, 'ready', ['jobTitle']],
      [Topics.userUpdatedSingle, bob.id, 'ready', ['company']],
      [Topics.userUpdatedSingle, cy.id, 'ready', ['jobTitle']],
      [Topics.userDeletedSingle, ann.id, 'ready', undefined],
    ]);
    expect(waiting.every((e) => e.key === e.userId)).toBe(true);

    // Requests that died half-way (stored their event, then stopped): resolved from the user documents.
    const repo = new UserOutboxRepository(db);
    const longAgo = new Date(Date.now() - 120_000);
    const ghost = new ObjectId().toHexString();
    const died = (userId: string, topic: typeof Topics.userCreatedSingle | typeof Topics.userDeletedSingle) =>
      repo.add({ userId, topic, at: longAgo, message: topic === Topics.userDeletedSingle ? { v: 1, userId, at: longAgo.toISOString() } : { v: 1, userId, fields: ['email'], at: longAgo.toISOString() } });
    await died(bob.id, Topics.userCreatedSingle); // the user was written: published
    await died(ghost, Topics.userCreatedSingle); // never written: discarded
    await died(cy.id, Topics.userDeletedSingle); // the user is still there: discarded
    expect(await metric('userforge_outbox_pending_events')).toBe(8);

    await up(stack.settings, kafkaDefs());
    kafkaDown = false;
    await waitUntil(outbox, (events) => events.length === 0, 60_000, 500);

    reader = new Kafka({ clientId: 'outbox-test', brokers: [stack.env.KAFKA_BROKERS], logLevel: logLevel.NOTHING }).consumer({ groupId: `outbox-reader-${randomUUID()}` });
    await reader.connect();
    await reader.subscribe({ topics: USER_EVENT_TOPICS, fromBeginning: true });
    const seen: Seen[] = [];
    await reader.run({
      eachMessage: async ({ topic, message }) => {
        const { userId, fields } = JSON.parse(String(message.value)) as { userId: string; fields?: string[] };
        seen.push({ topic, userId, fields });
      },
    });
    const has = (topic: string, userId: string, fields?: string[]) =>
      seen.some((s) => s.topic === topic && s.userId === userId && (fields === undefined || JSON.stringify(s.fields) === JSON.stringify(fields)));
    await waitUntil(
      async () => seen.length,
      () =>
        has(Topics.userCreatedSingle, cy.id) &&
        has(Topics.userUpdatedSingle, bob.id, ['company']) &&
        has(Topics.userUpdatedSingle, cy.id) &&
        has(Topics.userDeletedSingle, ann.id) &&
        seen.filter((s) => s.topic === Topics.userCreatedSingle && s.userId === bob.id).length >= 2,
      60_000,
      300,
    );
    const ofUser = (topic: string, userId: string) => seen.filter((s) => s.topic === topic && s.userId === userId);
    for (const id of [ann.id, bob.id, cy.id]) expect(ofUser(Topics.userCreatedSingle, id).length).toBeGreaterThan(0);
    expect(ofUser(Topics.userCreatedSingle, ghost)).toEqual([]);
    expect(ofUser(Topics.userDeletedSingle, cy.id)).toEqual([]);
    // In order per user (at least once: a repeat may follow, never precede, the first delivery).
    const bobUpdates = ofUser(Topics.userUpdatedSingle, bob.id).map((s) => s.fields![0]);
    expect(bobUpdates.indexOf('jobTitle')).toBeLessThan(bobUpdates.indexOf('company'));
    expect(bobUpdates.indexOf('jobTitle')).toBe(0);
    expect(await metric('userforge_outbox_published_total')).toBeGreaterThanOrEqual(6);
    expect(await metric('userforge_outbox_pending_events')).toBe(0);

    // The deleted user's activity is gone, and every figure equals a full recount.
    await waitUntil(() => db.collection('activities').countDocuments({ userId: new ObjectId(ann.id) }), (n) => n === 0, 60_000);
    const after = await waitUntil(stats, (s) => s.body.totalActivityEvents === 1 && s.body.totalUsers === 2, 30_000);
    const { computedAt, ...figures } = after.body;
    expect(figures).toEqual(await recount(db, Date.parse(computedAt)));
  }, 360_000);
});
