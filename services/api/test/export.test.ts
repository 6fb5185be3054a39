import http, { type IncomingHttpHeaders } from 'node:http';
import { randomInt, randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { MongoClient, type Db } from 'mongodb';
import { userViewSchema, type JobView, type UserView } from '@userforge/contracts';
import { JobRepository, createJob } from '@userforge/jobs';
import { generateChunk, toUserView, userCsvRow, UserRepository, USER_CSV_COLUMNS, type UserDocument } from '@userforge/users';
import { loadConsumerConfig } from '../../consumer/src/config';
import { start as startConsumer, type RunningConsumer } from '../../consumer/src/main';
import { loadApiConfig } from '../src/config';
import { start, type RunningApi } from '../src/main';
import { testEnv, testMongoUrl, json, post, waitUntil } from '@userforge/testkit';

const USERS = 20_000;

interface Raw {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * GET with node:http, which (unlike fetch) neither asks for nor undoes gzip by itself. Each request
 * on a connection of its own: a pooled one the server closed while this process was busy comparing
 * 20,000 users would be written to before its close is read, and reset.
 */
function rawGet(url: string, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** The first `bytes` bytes of a response body, then the connection is dropped (a download cut short). */
function firstBytes(url: string, bytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let got = 0;
      res.on('data', (c: Buffer) => {
        if (got >= bytes) return;
        chunks.push(c);
        got += c.length;
        if (got >= bytes) {
          req.destroy();
          resolve(Buffer.concat(chunks).subarray(0, bytes));
        }
      });
      res.on('end', () => resolve(Buffer.concat(chunks).subarray(0, bytes)));
    });
    req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
  });
}

const ndjsonLines = (text: string) => text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as UserView);
const csvRecords = (text: string) => parse(text, { columns: true }) as Record<string, string>[];
/** A view as a CSV row parses back: every cell a string. */
const asCsvRecord = (view: UserView) => Object.fromEntries(USER_CSV_COLUMNS.map((column, i) => [column, String(userCsvRow(view)[i])]));

describe("a job's users export (real API, consumer and servers)", () => {
  const dbUrl = testMongoUrl('api_export');
  let api: RunningApi;
  let consumer: RunningConsumer;
  let base: string;
  let client: MongoClient;
  let db: Db;
  let job: JobView;
  /** The job's users as stored, as the API shows them, in `seq` order. */
  let stored: UserView[];

  const exportUrl = (jobId: string, query = '') => `${base}/v1/jobs/${jobId}/users${query}`;
  const waitForEnd = (id: string) =>
    waitUntil(async () => (await json<JobView>(await fetch(`${base}/v1/jobs/${id}`))).body, (j) => j.state !== 'running' && j.state !== 'publishing', 150_000);

  beforeAll(async () => {
    const { REDIS_URL, KAFKA_BROKERS } = testEnv();
    const common = { MONGO_URL: dbUrl, REDIS_URL, KAFKA_BROKERS, LOG_LEVEL: 'silent' };
    api = await start(loadApiConfig({ ...common, PORT: '0', HOST: '127.0.0.1' }));
    consumer = await startConsumer(
      loadConsumerConfig({ ...common, METRICS_PORT: '0', KAFKA_GROUP_ID: `export-${randomUUID()}`, KAFKA_EVENTS_GROUP_ID: `export-ev-${randomUUID()}`, KAFKA_SESSION_TIMEOUT_MS: '8000' }),
    );
    base = `http://127.0.0.1:${api.port}`;
    client = await MongoClient.connect(dbUrl);
    db = client.db();
    // Two jobs side by side: the second one's users sit right after the first one's range.
    ({ body: job } = await json<JobView>(await post(`${base}/v1/jobs`, { count: USERS, seed: 3, chunkSize: 5_000 })));
    const { body: neighbour } = await json<JobView>(await post(`${base}/v1/jobs`, { count: 300, seed: 4, chunkSize: 100 }));
    for (const id of [job.id, neighbour.id]) {
      const done = await waitForEnd(id);
      if (done.state !== 'succeeded') throw new Error(`generation job ended ${done.state}: ${done.error}`);
    }
    const docs = await db.collection<UserDocument>('users').find({ jobId: job.id }).sort({ seq: 1 }).toArray();
    stored = docs.map(toUserView);
  }, 200_000);
  afterAll(async () => {
    await client?.close();
    await consumer?.stop();
    await api?.stop();
  });

  it('exports a job as NDJSON: exactly its users, each once, every field as stored, as a named file', async () => {
    const res = await rawGet(exportUrl(job.id));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="users-${job.id}.ndjson"`);
    expect(res.headers['x-export-complete']).toBe('true');
    expect(res.headers['x-job-state']).toBe('succeeded');
    expect(res.headers['content-encoding']).toBeUndefined();
    const text = res.body.toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    const users = ndjsonLines(text);
    expect(stored).toHaveLength(USERS);
    expect(users).toHaveLength(USERS);
    expect(new Set(users.map((u) => u.email)).size).toBe(USERS);
    expect(users).toEqual(stored);
    // Each line is what the OpenAPI document declares for application/x-ndjson (the fuzzer cannot check NDJSON).
    for (const user of users) userViewSchema.parse(user);
  });

  it('exports CSV that a CSV parser reads back as the same rows, chosen by format or by Accept', async () => {
    const byQuery = await rawGet(exportUrl(job.id, '?format=csv'));
    expect(byQuery.status).toBe(200);
    expect(byQuery.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(byQuery.headers['content-disposition']).toBe(`attachment; filename="users-${job.id}.csv"`);
    const text = byQuery.body.toString('utf8');
    expect(text.slice(0, text.indexOf('\r\n'))).toBe(USER_CSV_COLUMNS.join(','));
    const records = csvRecords(text);
    expect(records).toHaveLength(USERS);
    expect(records).toEqual(stored.map(asCsvRecord));

    const byAccept = await rawGet(exportUrl(job.id), { accept: 'text/csv' });
    expect(byAccept.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(byAccept.body.equals(byQuery.body)).toBe(true);
    // The query wins over Accept.
    const queryWins = await rawGet(exportUrl(job.id, '?format=ndjson'), { accept: 'text/csv' });
    expect(queryWins.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
  });

  it('gives the whole job exactly once when an export cut at a random byte is resumed after the last complete line', async () => {
    const full = (await rawGet(exportUrl(job.id))).body;
    for (let attempt = 0; attempt < 3; attempt++) {
      const cut = randomInt(1, full.length - 1);
      const head = (await firstBytes(exportUrl(job.id), cut)).toString('utf8');
      // Only complete lines count: the cut one is read again.
      const complete = ndjsonLines(head.slice(0, head.lastIndexOf('\n') + 1));
      const after = complete.length > 0 ? complete[complete.length - 1]!.seq : 0;
      const rest = ndjsonLines((await rawGet(exportUrl(job.id, `?after=${after}`))).body.toString('utf8'));
      expect([cut, [...complete, ...rest].map((u) => u.id)]).toEqual([cut, stored.map((u) => u.id)]);
    }
    // Past the job's last user there is nothing left.
    const past = await rawGet(exportUrl(job.id, `?after=${stored[USERS - 1]!.seq}`));
    expect([past.status, past.body.length]).toEqual([200, 0]);
  });

  it('gzips when the client accepts it, and the body unzips to the same export', async () => {
    const plain = await rawGet(exportUrl(job.id, '?format=csv'));
    const zipped = await rawGet(exportUrl(job.id, '?format=csv'), { 'accept-encoding': 'gzip, deflate' });
    expect(zipped.status).toBe(200);
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toMatch(/Accept-Encoding/i);
    expect(zipped.body.length).toBeLessThan(plain.body.length);
    expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);
    const ndjson = await rawGet(exportUrl(job.id), { 'accept-encoding': 'gzip' });
    expect(ndjsonLines(gunzipSync(ndjson.body).toString('utf8'))).toEqual(stored);
  });

  it('exports what a job still at work has stored so far, and says so', async () => {
    // A job with every chunk published and none stored yet; then its first chunk's users are stored.
    const jobs = new JobRepository(db);
    const created = await createJob(jobs, { count: 1_000, chunkSize: 500, seed: 9, locale: 'fr' });
    const running = (await jobs.markRunning(created._id, new Date()))!;
    const csvBefore = await rawGet(exportUrl(running._id, '?format=csv'));
    expect([csvBefore.status, csvBefore.headers['x-export-complete'], csvBefore.headers['x-job-state']]).toEqual([200, 'false', 'running']);
    expect(csvBefore.body.toString('utf8')).toBe(`${USER_CSV_COLUMNS.join(',')}\r\n`);

    const firstChunk = [...generateChunk({ jobId: running._id, chunkIndex: 0, seed: 9, seqStart: running.seqBase, count: 500, locale: 'fr', createdAt: running.createdAt.toISOString() })].flat();
    await new UserRepository(db).insertIgnoringDuplicates(firstChunk);
    const partial = await rawGet(exportUrl(running._id));
    expect([partial.headers['x-export-complete'], partial.headers['x-job-state']]).toEqual(['false', 'running']);
    expect(ndjsonLines(partial.body.toString('utf8'))).toEqual(firstChunk.map(toUserView));
  });

  it('answers errors as JSON: 404 unknown job, 400 bad id, format or after, 406 for an Accept it cannot meet', async () => {
    const cases: [string, Record<string, string>, number, string][] = [
      [exportUrl('f'.repeat(24)), {}, 404, 'not_found'],
      [exportUrl('not-a-job'), {}, 400, 'invalid_id'],
      [exportUrl(job.id, '?format=xml'), {}, 400, 'validation_failed'],
      [exportUrl(job.id, '?after=-1'), {}, 400, 'validation_failed'],
      [exportUrl(job.id, '?after=abc'), {}, 400, 'validation_failed'],
      [exportUrl(job.id, '?format=csv&format=ndjson'), {}, 400, 'validation_failed'],
      [exportUrl(job.id, '?limit=10'), {}, 400, 'validation_failed'],
      [exportUrl(job.id), { accept: 'application/json' }, 406, 'not_acceptable'],
    ];
    for (const [url, headers, status, code] of cases) {
      const res = await rawGet(url, headers);
      expect([url, res.status, res.headers['content-type']]).toEqual([url, status, expect.stringMatching(/^application\/json/)]);
      expect([url, (JSON.parse(res.body.toString('utf8')) as { error: { code: string } }).error.code]).toEqual([url, code]);
    }
    // An Accept it cannot meet does not matter when the query names the format.
    expect((await rawGet(exportUrl(job.id, '?format=csv&after=999999999999'), { accept: 'application/json' })).status).toBe(200);
  });
});
