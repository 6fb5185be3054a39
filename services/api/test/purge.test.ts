import { randomBytes } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import type { JobView, PaginatedData, StatsView, UserView } from '@userforge/contracts';
import { JobRepository, type JobDocument } from '@userforge/jobs';
import { freePort } from '@userforge/devstack';
import { newObjectIdHex } from '@userforge/platform';
import { startApiWithConsumer, runJob, type ApiWithConsumer } from '@userforge/testkit/api-with-consumer';
import { json, post, waitUntil, recount, probe, spawnApp, type AppProcess } from '@userforge/testkit';

type ErrorBody = { error: { code: string; message: string } };

const CHROME_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';

describe("purging a job's users (real API, consumer and servers)", () => {
  const apiKey = randomBytes(24).toString('hex');
  const key = { 'x-api-key': apiKey };
  let stack: ApiWithConsumer;
  let base: string;
  let client: MongoClient;
  let db: Db;
  const children: AppProcess[] = [];
  let purged: JobView;
  let kept: JobView;

  const get = async <T>(path: string) => json<T>(await fetch(`${base}${path}`));
  const purge = async (id: string, headers: Record<string, string> = key, at = base) => json<JobView & ErrorBody>(await fetch(`${at}/v1/jobs/${id}/users`, { method: 'DELETE', headers }));
  const usersOf = (job: JobView) => db.collection('users').find({ jobId: job.id }).sort({ seq: 1 }).toArray();
  /** The statistics once every deletion's event has been handled, and a recount of the collections at that moment. */
  const settledStats = async (activities: number) => {
    await waitUntil(() => db.collection('user_outbox').countDocuments({}), (n) => n === 0, 60_000);
    const stats = await waitUntil(() => get<StatsView>('/v1/stats'), (s) => s.body.totalActivityEvents === activities, 60_000);
    const { computedAt, ...figures } = stats.body;
    return { figures, recounted: await recount(db, Date.parse(computedAt)) };
  };

  beforeAll(async () => {
    stack = await startApiWithConsumer('api_purge', { LOG_LEVEL: process.env.PURGE_TEST_LOG_LEVEL ?? 'silent', API_KEY: apiKey, CACHE_TTL_SECONDS: '300', RATE_LIMIT_GENERATE_PER_MINUTE: '0' });
    base = stack.base;
    client = await MongoClient.connect(stack.dbUrl);
    db = client.db();
    purged = await runJob(base, { count: 2000, seed: 1, chunkSize: 500 }, key);
    kept = await runJob(base, { count: 1500, seed: 2, chunkSize: 500 }, key);
    // Activity of users of both jobs: the purged ones' must leave the figures, the others' stay.
    const active = [...(await usersOf(purged)).slice(0, 3), ...(await usersOf(kept)).slice(0, 2)];
    for (const user of active) {
      const res = await post(`${base}/v1/users/${String(user._id)}/activity`, { type: 'login' }, { ...key, 'user-agent': CHROME_WINDOWS });
      expect(res.status).toBe(202);
    }
    await waitUntil(() => get<StatsView>('/v1/stats'), (s) => s.body.totalActivityEvents === 5, 60_000);
  }, 240_000);

  afterAll(async () => {
    await Promise.all(children.map((child) => child.kill()));
    await client?.close();
    await stack?.stop();
  });

  it("removes exactly the job's users, and statistics, cached pages and activity figures follow", async () => {
    const keptBefore = await usersOf(kept);
    // Cached pages that show the job's users (they come first in sequence order).
    expect((await get<PaginatedData<UserView>>('/v1/users?limit=20')).headers.get('x-cache')).toBe('MISS');
    const cached = await get<PaginatedData<UserView>>('/v1/users?limit=20');
    expect(cached.headers.get('x-cache')).toBe('HIT');
    expect(cached.body.data.every((u) => u.jobId === purged.id)).toBe(true);
    const events = new AbortController();
    const stream = await fetch(`${base}/v1/events`, { signal: events.signal });

    expect((await purge(purged.id, {})).status).toBe(401);
    const accepted = await purge(purged.id);
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get('location')).toBe(`/v1/jobs/${purged.id}`);
    expect(accepted.body).toMatchObject({ id: purged.id, state: 'succeeded', purge: { state: expect.stringMatching(/^purg(ing|ed)$/) } });

    const done = await waitUntil(() => get<JobView>(`/v1/jobs/${purged.id}`), (r) => r.body.purge?.state === 'purged', 60_000);
    expect(done.body.purge).toEqual({ state: 'purged', deleted: 2000, remaining: 0 });
    expect(await usersOf(purged)).toEqual([]);
    // Its export is gone with them (404, not an empty file), while the job itself stays.
    const exported = await get<{ error: { code: string } }>(`/v1/jobs/${purged.id}/users`);
    expect([exported.status, exported.body.error.code]).toEqual([404, 'users_purged']);
    expect(await db.collection('users').countDocuments({ seq: { $gte: 0, $lt: 2000 } })).toBe(0);
    expect(await usersOf(kept)).toEqual(keptBefore);

    const page = await get<PaginatedData<UserView>>('/v1/users?limit=20');
    expect(page.body.total).toBe(1500);
    expect(page.body.data.map((u) => u.id)).toEqual(keptBefore.slice(0, 20).map((u) => String(u._id)));
    const deep = await get<PaginatedData<UserView>>('/v1/users?limit=20&page=75');
    expect(deep.body.data.map((u) => u.id)).toEqual(keptBefore.slice(1480, 1500).map((u) => String(u._id)));

    const { figures, recounted } = await settledStats(2);
    expect(figures).toEqual(recounted);
    expect(figures.totalUsers).toBe(1500);

    // The purge's progress reached SSE clients as job events.
    const reader = stream.body!.getReader();
    const bound = setTimeout(() => events.abort(), 30_000); // a stream that never says so ends the wait
    let text = '';
    const seenPurged = () => text.split('\n\n').some((block) => block.includes(purged.id) && block.includes('"state":"purged"'));
    while (!seenPurged()) {
      const read = await reader.read().catch(() => ({ done: true as const, value: undefined }));
      if (read.done) break;
      text += Buffer.from(read.value).toString();
    }
    clearTimeout(bound);
    events.abort();
    expect(seenPurged()).toBe(true);
  });

  it('answers a repeated purge as done, with nothing left and nothing changed', async () => {
    const again = await purge(purged.id);
    expect(again.status).toBe(200);
    expect(again.body.purge).toEqual({ state: 'purged', deleted: 2000, remaining: 0 });
    const { figures, recounted } = await settledStats(2);
    expect(figures).toEqual(recounted);
    expect(figures.totalUsers).toBe(1500);
  });

  it('refuses a job still at work (409, cancel first), and purges it once cancelled; 404 for an unknown job', async () => {
    const jobs = new JobRepository(db);
    const now = new Date();
    const running: JobDocument = {
      _id: newObjectIdHex(),
      state: 'running',
      count: 100,
      seed: 1,
      chunkSize: 100,
      chunksTotal: 1,
      chunksPublished: 1,
      chunksDone: 0,
      usersStored: 0,
      locale: 'en',
      seqBase: await jobs.reserveSequence(100),
      createdAt: now,
      startedAt: now,
      finishedAt: null,
      updatedAt: now,
      error: null,
      lease: null,
    };
    await jobs.insert(running);
    const refused = await purge(running._id);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toEqual({ code: 'job_active', message: expect.stringMatching(/is running: cancel it first/) });
    expect((await get<JobView>(`/v1/jobs/${running._id}`)).body.purge).toBeUndefined();

    expect((await post(`${base}/v1/jobs/${running._id}/cancel`, {}, key)).status).toBe(200);
    const cancelled = await purge(running._id);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.purge).toEqual({ state: 'purged', deleted: 0, remaining: 0 });

    const unknown = await purge(newObjectIdHex());
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    expect((await purge('not-a-job-id')).status).toBe(400);
  });

  it('finishes a purge whose API process was killed (SIGKILL) half-way when the DELETE is repeated to a new process', async () => {
    const job = await runJob(base, { count: 4000, seed: 3, chunkSize: 1000 }, key);
    /** The API as a process of its own, with small windows: 200 steps, so a kill lands between the first and the last. */
    const apiProcess = async () => {
      const port = await freePort();
      const child = spawnApp('services/api/src/main.ts', { ...stack.env, PORT: String(port), HOST: '127.0.0.1', API_KEY: apiKey, PURGE_WINDOW: '20', LOG_LEVEL: 'warn' });
      children.push(child);
      const at = `http://127.0.0.1:${port}`;
      await waitUntil(() => probe(`${at}/readyz`), (r) => r.status === 200 || !child.alive(), 120_000);
      expect(child.alive()).toBe(true);
      return { child, at };
    };
    const progress = (at: string) => probe(`${at}/v1/jobs/${job.id}`).then((r) => (r.body as JobView | null)?.purge);

    const first = await apiProcess();
    expect((await purge(job.id, key, first.at)).status).toBe(202);
    await waitUntil(() => progress(first.at), (p) => (p?.deleted ?? 0) > 0, 60_000, 5);
    await first.child.kill('SIGKILL');
    const left = await db.collection('users').countDocuments({ jobId: job.id });
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(4000);
    expect(await progress(base)).toMatchObject({ state: 'purging' });

    const second = await apiProcess();
    const repeated = await purge(job.id, key, second.at);
    expect(repeated.status).toBe(202);
    const done = await waitUntil(() => progress(second.at), (p) => p?.state === 'purged', 120_000);
    expect(done?.remaining).toBe(0);
    expect(await db.collection('users').countDocuments({ jobId: job.id })).toBe(0);
    expect(await db.collection('users').countDocuments({ jobId: kept.id })).toBe(1500);
    // Users, countries and genders from the tally (events of the killed step may still wait for the
    // relay's stale check, but its users have no activity to take out).
    const stats = await get<StatsView>('/v1/stats');
    const { computedAt, ...figures } = stats.body;
    expect(figures).toEqual(await recount(db, Date.parse(computedAt)));
    expect(figures.totalUsers).toBe(1500);
  });
});
