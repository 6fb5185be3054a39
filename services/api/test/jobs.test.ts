import type { JobView, PaginatedData } from '@userforge/contracts';
import { loadApiConfig } from '../src/config';
import { start, type RunningApi } from '../src/main';
import { testEnv, testMongoUrl, json, post } from '@userforge/testkit';

describe('jobs API (real Kafka, MongoDB-wire database, Redis)', () => {
  let api: RunningApi;
  let base: string;
  beforeAll(async () => {
    const { REDIS_URL, KAFKA_BROKERS } = testEnv();
    api = await start(
      loadApiConfig({
        MONGO_URL: testMongoUrl('api_jobs'),
        REDIS_URL,
        KAFKA_BROKERS,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        MAX_JOB_COUNT: '5000',
      }),
    );
    base = `http://127.0.0.1:${api.port}`;
  });
  afterAll(async () => {
    await api.stop();
  });

  it('creates a job: 202, Location, and the planned job', async () => {
    const { status, body, headers } = await json<JobView>(await post(`${base}/v1/jobs`, { count: 2500, seed: 7, chunkSize: 1000, locale: 'de' }));
    expect(status).toBe(202);
    expect(headers.get('location')).toBe(`/v1/jobs/${body.id}`);
    expect(body).toMatchObject({ count: 2500, seed: 7, chunkSize: 1000, chunksTotal: 3, locale: 'de', usersStored: 0 });
    expect(['publishing', 'running']).toContain(body.state);
    const fetched = await json<JobView>(await fetch(`${base}/v1/jobs/${body.id}`));
    expect(fetched.status).toBe(200);
    expect(fetched.body.id).toBe(body.id);
  });

  it.each([
    [{}, /count: count must be a number/],
    [{ count: 0 }, /count must be at least 1/],
    [{ count: 1.5 }, /count must be an integer/],
    [{ count: '10' }, /count must be a number/],
    [{ count: 5001 }, /count must be at most 5000/],
    [{ count: 10, chunkSize: 5 }, /chunkSize must be at least 100/],
    [{ count: 10, seed: -1 }, /seed/],
    [{ count: 10, locale: 'xx' }, /locale must be one of/],
    [{ count: 10, extra: true }, /unknown field\(s\): extra/],
    [[1, 2], /expected object/],
  ])('rejects body %j with a 400 that says what is wrong', async (body, message) => {
    const res = await json<{ error: { code: string; message: string } }>(await post(`${base}/v1/jobs`, body));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.message).toMatch(message);
  });

  it('rejects malformed JSON and non-JSON bodies', async () => {
    expect((await post(`${base}/v1/jobs`, '{"count":')).status).toBe(400);
    const text = await fetch(`${base}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'count=5' });
    expect(text.status).toBe(415);
  });

  it('keeps the original generate route, POST and GET, with the same validation', async () => {
    const created = await json<JobView>(await fetch(`${base}/v1/generate/users/random/1200`, { method: 'POST' }));
    expect(created.status).toBe(202);
    expect(created.body.count).toBe(1200);
    expect((await fetch(`${base}/v1/generate/users/random/10`)).status).toBe(202);
    for (const bad of ['abc', '-5', '0', '1e3', '99999999']) {
      const res = await json<{ error: { message: string } }>(await fetch(`${base}/v1/generate/users/random/${bad}`, { method: 'POST' }));
      expect([bad, res.status]).toEqual([bad, 400]);
    }
  });

  it('lists jobs newest first, paginated, and validates the page query', async () => {
    const first = await json<JobView>(await post(`${base}/v1/jobs`, { count: 100 }));
    const second = await json<JobView>(await post(`${base}/v1/jobs`, { count: 200 }));
    const page = await json<PaginatedData<JobView>>(await fetch(`${base}/v1/jobs?limit=2&page=1`));
    expect(page.status).toBe(200);
    expect(page.body.data.map((j) => j.id)).toEqual([second.body.id, first.body.id]);
    expect(page.body).toMatchObject({ page: 1, limit: 2, next: '2' });
    expect(page.body.total).toBeGreaterThanOrEqual(4);
    for (const q of ['limit=0', 'limit=101', 'page=0', 'page=abc']) expect((await fetch(`${base}/v1/jobs?${q}`)).status).toBe(400);
  });

  it('cancels an active job once; a second cancel is a 409', async () => {
    const { body: job } = await json<JobView>(await post(`${base}/v1/jobs`, { count: 300 }));
    const cancelled = await json<JobView>(await fetch(`${base}/v1/jobs/${job.id}/cancel`, { method: 'POST' }));
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.state).toBe('cancelled');
    expect(cancelled.body.finishedAt).not.toBeNull();
    const again = await json<{ error: { code: string } }>(await fetch(`${base}/v1/jobs/${job.id}/cancel`, { method: 'POST' }));
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('job_finished');
  });

  it('answers bad and unknown job ids with 400 and 404', async () => {
    expect((await fetch(`${base}/v1/jobs/not-an-id`)).status).toBe(400);
    expect((await fetch(`${base}/v1/jobs/${'f'.repeat(24)}`)).status).toBe(404);
    expect((await fetch(`${base}/v1/jobs/${'f'.repeat(24)}/cancel`, { method: 'POST' })).status).toBe(404);
  });

  it('streams job changes as Server-Sent Events', async () => {
    const controller = new AbortController();
    const res = await fetch(`${base}/v1/events`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    const { body: job } = await json<JobView>(await post(`${base}/v1/jobs`, { count: 150 }));
    let text = '';
    const deadline = Date.now() + 10_000;
    while (!text.includes(job.id) && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
    }
    controller.abort();
    expect(text).toMatch(/^retry: \d+/);
    const event = text.split('\n\n').find((block) => block.includes(job.id))!;
    expect(event).toMatch(/^event: job\ndata: /);
    expect(JSON.parse(event.split('data: ')[1]!)).toMatchObject({ type: 'job', job: { id: job.id, count: 150 } });
  });
});
