import { randomUUID } from 'node:crypto';
import { MongoClient, ObjectId, type Db } from 'mongodb';
import type { JobView, PaginatedData, StatsView, UserView } from '@userforge/contracts';
import { loadConsumerConfig } from '../../consumer/src/config';
import { start as startConsumer, type RunningConsumer } from '../../consumer/src/main';
import { loadApiConfig } from '../src/config';
import { start, type RunningApi } from '../src/main';
import { testEnv, testMongoUrl, json, post, waitUntil, recount, FIRST_EVENTS_WAIT_MS } from '@userforge/testkit';

type Page = PaginatedData<UserView>;
type ErrorBody = { error: { code: string; message: string } };

const newUser = (email: string, country = 'Atlantis') => ({
  name: { first: 'Ada', last: 'Lovelace' },
  email,
  username: 'ada_l',
  phone: '+44 20 7946 0000',
  gender: 'female',
  birthDate: '1990-12-10',
  address: { street: '12 St James Square', city: 'London', country },
  company: 'Analytical Engines',
  jobTitle: 'Programmer',
});

const CHROME_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const SAFARI_IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';

describe('users API: listing, cache, CRUD, activity, statistics (real servers)', () => {
  const dbUrl = testMongoUrl('api_users');
  let api: RunningApi;
  let consumer: RunningConsumer;
  let base: string;
  let client: MongoClient;
  let db: Db;
  const get = async <T = Page>(path: string) => json<T>(await fetch(`${base}${path}`));

  beforeAll(async () => {
    const { REDIS_URL, KAFKA_BROKERS } = testEnv();
    const common = { MONGO_URL: dbUrl, REDIS_URL, KAFKA_BROKERS, LOG_LEVEL: 'silent' };
    api = await start(loadApiConfig({ ...common, PORT: '0', HOST: '127.0.0.1', CACHE_TTL_SECONDS: '60' }));
    consumer = await startConsumer(
      loadConsumerConfig({ ...common, METRICS_PORT: '0', KAFKA_GROUP_ID: `users-${randomUUID()}`, KAFKA_EVENTS_GROUP_ID: `users-ev-${randomUUID()}`, KAFKA_SESSION_TIMEOUT_MS: '8000' }),
    );
    base = `http://127.0.0.1:${api.port}`;
    client = await MongoClient.connect(dbUrl);
    db = client.db();
    const { body: job } = await json<JobView>(await post(`${base}/v1/jobs`, { count: 3000, seed: 11, chunkSize: 1000 }));
    const done = await waitUntil(async () => (await get<JobView>(`/v1/jobs/${job.id}`)).body, (j) => j.state !== 'running' && j.state !== 'publishing', 90_000);
    if (done.state !== 'succeeded') throw new Error(`generation job ended ${done.state}: ${done.error}`);
  }, 120_000);
  afterAll(async () => {
    await client?.close();
    await consumer?.stop();
    await api?.stop();
  });

  it('pages through the users: MISS then HIT, exact total, cursor continues where the page ends', async () => {
    const first = await get('/v1/users?limit=10&page=1');
    expect(first.status).toBe(200);
    expect(first.headers.get('x-cache')).toBe('MISS');
    expect(first.body.total).toBe(3000);
    expect(first.body.data).toHaveLength(10);
    const again = await get('/v1/users?page=1&limit=10');
    expect(again.headers.get('x-cache')).toBe('HIT');
    expect(again.body).toEqual(first.body);
    const second = await get('/v1/users?limit=10&page=2');
    const viaCursor = await get(`/v1/users?limit=10&after=${first.body.next}`);
    expect(viaCursor.body.data.map((u) => u.id)).toEqual(second.body.data.map((u) => u.id));
    const legacy = await get('/v1/user?limit=10&page=2');
    expect(legacy.body.data).toEqual(second.body.data);
  });

  it('jumps to a deep page without skipping through the collection, in both directions', async () => {
    const seqs = (await db.collection('users').find({}, { projection: { seq: 1 } }).toArray()).map((u) => u.seq as number).sort((a, b) => a - b);
    const deep = await get('/v1/users?limit=7&page=250');
    expect(deep.body.data.map((u) => u.seq)).toEqual(seqs.slice(249 * 7, 250 * 7));
    const desc = await get('/v1/users?limit=9&page=40&sort=-seq');
    expect(desc.body.data.map((u) => u.seq)).toEqual([...seqs].reverse().slice(39 * 9, 40 * 9));
    // A hole in the middle (a deleted user): positions after it shift by one, in both directions.
    const gone = (await db.collection('users').findOne({ seq: seqs[1000] }))!;
    expect((await fetch(`${base}/v1/users/${String(gone._id)}`, { method: 'DELETE' })).status).toBe(204);
    const left = seqs.filter((s) => s !== seqs[1000]);
    expect((await get('/v1/users?limit=7&page=143')).body.data.map((u) => u.seq)).toEqual(left.slice(142 * 7, 143 * 7));
    expect((await get('/v1/users?limit=9&page=222&sort=-seq')).body.data.map((u) => u.seq)).toEqual([...left].reverse().slice(221 * 9, 222 * 9));
    const past = await get('/v1/users?limit=10&page=301');
    expect(past.body.data).toEqual([]);
    expect(past.body.next).toBeNull();
  });

  it('filters by country and gender with exact totals; search is a plain prefix', async () => {
    const some = (await db.collection('users').findOne({}))!;
    const country = some.address.country as string;
    const byCountry = await get(`/v1/users?limit=100&country=${encodeURIComponent(country)}`);
    expect(byCountry.body.total).toBe(await db.collection('users').countDocuments({ 'address.country': country }));
    expect(byCountry.body.data.every((u) => u.address.country === country)).toBe(true);
    const female = await get('/v1/users?gender=female&limit=5');
    expect(female.body.total).toBe(await db.collection('users').countDocuments({ gender: 'female' }));
    const prefix = (some.email as string).slice(0, 4);
    const search = await get(`/v1/users?search=${prefix}&limit=100`);
    expect(search.body.data.length).toBeGreaterThan(0);
    expect(search.body.data.every((u) => u.email.startsWith(prefix))).toBe(true);
    expect((await get('/v1/users?search=.*')).body.data).toEqual([]);
    const byEmail = await get(`/v1/users?email=${encodeURIComponent(some.email as string)}`);
    expect(byEmail.body.data.map((u) => u.id)).toEqual([String(some._id)]);
  });

  it.each([
    ['limit=0', /limit must be a number between 1 and 100/],
    ['limit=101', /limit must be a number between 1 and 100/],
    ['limit=abc', /limit must be a number/],
    ['page=0', /page must be at least 1/],
    ['sort=password', /sort must be one of seq, -seq, email/],
    ['gender=other', /gender must be one of/],
    ['email[$ne]=x', /unknown field/],
    ['country[$gt]=', /unknown field/],
    ['$where=1', /unknown field/],
    ['email=a&email=b', /email must be a single plain value/],
    ['after=not-a-cursor', /after: not a cursor/],
  ])('rejects ?%s with a 400 that says what is wrong', async (query, message) => {
    const res = await get<ErrorBody>(`/v1/users?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(message);
  });

  it('answers filtered pages past item 10,000 with an empty page (the cursor goes further), not a scan', async () => {
    const res = await get<{ data: unknown[]; next: string | null }>('/v1/users?country=France&page=2000');
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([]);
    expect(res.body.next).toBeNull();
  });

  it('creates, reads, updates and deletes a user; listings follow at once', async () => {
    const email = `ada.${Date.now()}@example.org`;
    const created = await json<UserView>(await post(`${base}/v1/users`, newUser(email)));
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/v1/users/${created.body.id}`);
    const id = created.body.id;
    expect((await get<UserView>(`/v1/users/${id}`)).body.email).toBe(email);

    const listed = await get(`/v1/users?country=Atlantis`);
    expect(listed.body.total).toBe(1);
    expect((await get(`/v1/users?country=Atlantis`)).headers.get('x-cache')).toBe('HIT');

    const patch = (body: unknown) => fetch(`${base}/v1/users/${id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const updated = await json<UserView>(await patch({ jobTitle: 'Countess', address: { street: '1 Main St', city: 'Paris', country: 'Lemuria' } }));
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ jobTitle: 'Countess', address: { country: 'Lemuria' }, email });
    const afterMove = await get(`/v1/users?country=Atlantis`);
    expect(afterMove.headers.get('x-cache')).toBe('MISS');
    expect(afterMove.body.total).toBe(0);
    expect((await get(`/v1/users?country=Lemuria`)).body.data.map((u) => u.id)).toEqual([id]);

    const massAssign = await json<ErrorBody>(await patch({ seq: 1, jobId: 'x', _id: 'y' }));
    expect(massAssign.status).toBe(400);
    expect(massAssign.body.error.message).toMatch(/unknown field\(s\): seq, jobId, _id/);
    expect((await json<ErrorBody>(await patch({}))).body.error.message).toMatch(/at least one field/);
    expect((await json<ErrorBody>(await patch({ email: 'not-an-email' }))).status).toBe(400);
    const someone = (await db.collection('users').findOne({ jobId: { $ne: null } }))!;
    expect((await json<ErrorBody>(await patch({ email: someone.email }))).status).toBe(409);

    const del = await fetch(`${base}/v1/users/${id}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    expect((await get<ErrorBody>(`/v1/users/${id}`)).status).toBe(404);
    expect((await get(`/v1/users?country=Lemuria`)).body.data).toEqual([]);
    expect((await fetch(`${base}/v1/users/${id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('answers bad and unknown ids with 400 and 404', async () => {
    const bad = await get<ErrorBody>('/v1/users/not-an-id');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_id');
    expect((await get<ErrorBody>(`/v1/users/${new ObjectId().toHexString()}`)).status).toBe(404);
    expect((await json<ErrorBody>(await post(`${base}/v1/users/${new ObjectId().toHexString()}/activity`, {}))).status).toBe(404);
    expect((await json<ErrorBody>(await post(`${base}/v1/users`, { ...newUser('x@example.org'), role: 'admin' }))).status).toBe(400);
  });

  it('records activity through Kafka with the parsed User-Agent; statistics equal a full recount', async () => {
    const [a, b, c] = await db.collection('users').find({}).limit(3).toArray();
    const act = (id: unknown, ua: string) => post(`${base}/v1/users/${String(id)}/activity`, { type: 'login' }, { 'user-agent': ua });
    expect((await act(a!._id, CHROME_WINDOWS)).status).toBe(202);
    await act(a!._id, SAFARI_IPHONE);
    await act(b!._id, CHROME_WINDOWS);
    expect((await fetch(`${base}/v1/user/activity/${String(c!._id)}`, { headers: { 'user-agent': SAFARI_IPHONE } })).status).toBe(202);
    await waitUntil(() => db.collection('activities').countDocuments({}), (n) => n === 4, FIRST_EVENTS_WAIT_MS);
    const ofA = await get<{ data: { browser: string; os: string; device: string }[] }>(`/v1/users/${String(a!._id)}/activity`);
    expect(ofA.body.data.map((x) => [x.device, x.browser, x.os]).sort()).toEqual([
      ['desktop', 'Chrome', 'Windows'],
      ['mobile', 'Safari', 'iOS'],
    ]);
    const touched = await db.collection('users').findOne({ _id: a!._id });
    expect((touched!.lastActive as Date).getTime()).toBeGreaterThan(Date.now() - 60_000);

    const stats = await waitUntil(() => get<StatsView>('/v1/stats'), (s) => s.body.totalActivityEvents === 4, 30_000);
    const { computedAt, ...figures } = stats.body;
    expect(Date.parse(computedAt)).toBeGreaterThan(0);
    expect(figures).toEqual(await recount(db, Date.parse(computedAt)));

    // Deleting a user removes its activity and its share of every figure.
    expect((await fetch(`${base}/v1/users/${String(a!._id)}`, { method: 'DELETE' })).status).toBe(204);
    await waitUntil(() => db.collection('activities').countDocuments({ userId: a!._id }), (n) => n === 0, 30_000);
    const after = await waitUntil(() => get<StatsView>('/v1/stats'), (s) => s.body.totalActivityEvents === 2, 30_000);
    const { computedAt: at2, ...figures2 } = after.body;
    expect(figures2).toEqual(await recount(db, Date.parse(at2)));
  }, 300_000);
});
