import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient, type Db } from 'mongodb';
import { Topics, encodeMessage, type DeadLetter, type JobView } from '@userforge/contracts';
import { JobRepository, chunkMessage, createJob } from '@userforge/jobs';
import { createKafka, createLogger } from '@userforge/platform';
import type { UserDocument } from '@userforge/users';
import { loadApiConfig } from '../../api/src/config';
import { start as startApi, type RunningApi } from '../../api/src/main';
import { loadConsumerConfig } from '../src/config';
import { start as startConsumer, type RunningConsumer } from '../src/main';
import { testEnv, testMongoUrl, json, post, waitUntil } from '@userforge/testkit';
import { tsxCommand, REPO_ROOT } from '@userforge/devstack';

const MONGO_URL = testMongoUrl('pipeline');
const GROUP = `pipeline-${randomUUID()}`;
const logger = createLogger('test', 'silent');

describe('generation pipeline (real Kafka, MongoDB-wire database, Redis)', () => {
  const { REDIS_URL, KAFKA_BROKERS, brokers } = testEnv();
  const consumerEnv = { MONGO_URL, REDIS_URL, KAFKA_BROKERS, KAFKA_GROUP_ID: GROUP, KAFKA_SESSION_TIMEOUT_MS: '8000', LOG_LEVEL: 'warn' };
  const kafka = createKafka({ clientId: 'pipeline-test', brokers, logger });
  let api: RunningApi;
  let consumer: RunningConsumer | undefined;
  let client: MongoClient;
  let db: Db;
  let base: string;

  const getJob = async (id: string) => (await json<JobView>(await fetch(`${base}/v1/jobs/${id}`))).body;
  const waitForState = (id: string, state: JobView['state'], timeoutMs = 120_000) =>
    waitUntil(() => getJob(id), (j) => j.state === state, timeoutMs);
  const usersOf = (jobId: string) =>
    db.collection<UserDocument>('users').find({ jobId }).sort({ seq: 1 }).toArray();

  beforeAll(async () => {
    api = await startApi(loadApiConfig({ MONGO_URL, REDIS_URL, KAFKA_BROKERS, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' }));
    base = `http://127.0.0.1:${api.port}`;
    consumer = await startConsumer(loadConsumerConfig({ ...consumerEnv, METRICS_PORT: '0', LOG_LEVEL: 'silent' }));
    client = await MongoClient.connect(MONGO_URL);
    db = client.db();
  });
  afterAll(async () => {
    await consumer?.stop();
    await api.stop();
    await db.dropDatabase();
    await client.close();
  });

  it('stores exactly 50,000 users for a 50,000-user job: no duplicate email, _id or sequence number', async () => {
    const { body: job } = await json<JobView>(await post(`${base}/v1/jobs`, { count: 50_000, chunkSize: 5_000, seed: 1 }));
    const done = await waitForState(job.id, 'succeeded');
    expect(done).toMatchObject({ usersStored: 50_000, chunksDone: 10, chunksTotal: 10, progress: 1 });
    const users = await db
      .collection<UserDocument>('users')
      .find({ jobId: job.id }, { projection: { email: 1, seq: 1 } })
      .toArray();
    expect(users).toHaveLength(50_000);
    expect(new Set(users.map((u) => u.email)).size).toBe(50_000);
    expect(new Set(users.map((u) => u._id.toHexString())).size).toBe(50_000);
    const seqs = new Set(users.map((u) => u.seq));
    expect(seqs.size).toBe(50_000);
    expect(Math.max(...seqs) - Math.min(...seqs)).toBe(49_999);
  });

  it('stores nothing twice when the same chunk is delivered twice', async () => {
    const jobs = new JobRepository(db);
    const job = await createJob(jobs, { count: 2_000, chunkSize: 1_000, seed: 5 });
    await jobs.markRunning(job._id, new Date());
    const producer = kafka.producer();
    await producer.connect();
    const message = (i: number) => ({ partition: 0, key: `${job._id}:${i}`, value: encodeMessage(Topics.userCreateBulk, chunkMessage({ ...job, id: job._id }, i)) });
    // Same partition, in order: chunk 0 twice, then chunk 1.
    await producer.send({ topic: Topics.userCreateBulk, messages: [message(0), message(0), message(1)] });
    await producer.disconnect();
    const done = await waitForState(job._id, 'succeeded', 60_000);
    expect(done.usersStored).toBe(2_000);
    expect(await db.collection('users').countDocuments({ jobId: job._id })).toBe(2_000);
    expect(await db.collection('job_completions').countDocuments({ jobId: job._id })).toBe(2);
  });

  it('generates identical users from the same seed', async () => {
    const a = await json<JobView>(await post(`${base}/v1/jobs`, { count: 1_500, chunkSize: 500, seed: 99 }));
    const b = await json<JobView>(await post(`${base}/v1/jobs`, { count: 1_500, chunkSize: 500, seed: 99 }));
    await waitForState(a.body.id, 'succeeded');
    await waitForState(b.body.id, 'succeeded');
    const strip = ({ _id, seq, jobId, email, createdAt, updatedAt, lastActive, ...rest }: UserDocument) => rest;
    const [ua, ub] = [await usersOf(a.body.id), await usersOf(b.body.id)];
    expect(ua).toHaveLength(1_500);
    expect(ua.map(strip)).toEqual(ub.map(strip));
    // Identity differs: every user keeps a unique id and email.
    expect(ua[0]!.email).not.toBe(ub[0]!.email);
  });

  it('cancels a running job promptly and ends it with what was stored', async () => {
    const { body: job } = await json<JobView>(await post(`${base}/v1/jobs`, { count: 1_000_000, chunkSize: 5_000, seed: 3 }));
    await waitUntil(() => getJob(job.id), (j) => j.usersStored > 0, 60_000);
    const cancelled = await json<JobView>(await fetch(`${base}/v1/jobs/${job.id}/cancel`, { method: 'POST' }));
    expect(cancelled.body.state).toBe('cancelled');
    // In-flight chunks finish; after that nothing more is stored.
    const count = () => db.collection('users').countDocuments({ jobId: job.id });
    let previous = -1;
    const settled = await waitUntil(
      async () => {
        const now = await count();
        const stable = now === previous;
        previous = now;
        return { now, stable };
      },
      (s) => s.stable,
      30_000,
      1_500,
    );
    expect(settled.now).toBeLessThan(100_000);
    const final = await getJob(job.id);
    expect(final.state).toBe('cancelled');
    expect(final.usersStored).toBe(settled.now);
  });

  it('dead-letters messages that can never succeed, with the reason, and counts them by topic', async () => {
    const tag = randomUUID();
    const deadLetters = async () => {
      const text = await (await fetch(`http://127.0.0.1:${consumer!.metricsPort}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('userforge_dead_letters_total{') && l.includes(`topic="${Topics.userCreateBulkDlq}"`));
      return Number(line?.split(' ').pop());
    };
    const before = await deadLetters();
    expect(before).toBeGreaterThanOrEqual(0); // the series exists (at 0) before the first letter
    const producer = kafka.producer();
    await producer.connect();
    const valid = chunkMessage(
      { id: 'e'.repeat(24), count: 10, chunkSize: 10, chunksTotal: 1, seed: 1, seqBase: 0, locale: 'en', createdAt: new Date() },
      0,
    );
    await producer.send({
      topic: Topics.userCreateBulk,
      messages: [
        { key: `${tag}:garbage`, value: 'this is not json' },
        { key: `${tag}:contract`, value: JSON.stringify({ ...valid, count: -3 }) },
        { key: `${tag}:unknown`, value: encodeMessage(Topics.userCreateBulk, valid) },
      ],
    });
    await producer.disconnect();

    const letters = new Map<string, DeadLetter>();
    const reader = kafka.consumer({ groupId: `dlq-reader-${tag}` });
    await reader.connect();
    await reader.subscribe({ topic: Topics.userCreateBulkDlq, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        const key = message.key?.toString() ?? '';
        if (key.startsWith(tag)) letters.set(key, JSON.parse(message.value!.toString()) as DeadLetter);
      },
    });
    await waitUntil(async () => letters.size, (n) => n === 3, 60_000);
    await reader.disconnect();
    expect(letters.get(`${tag}:garbage`)).toMatchObject({ reason: 'invalid_message', error: 'not JSON', value: 'this is not json' });
    expect(letters.get(`${tag}:contract`)).toMatchObject({ reason: 'invalid_message', error: expect.stringMatching(/count/) });
    expect(letters.get(`${tag}:unknown`)).toMatchObject({ reason: 'rejected', error: `unknown job ${'e'.repeat(24)}` });
    expect(letters.get(`${tag}:unknown`)!.source.topic).toBe(Topics.userCreateBulk);
    expect(await deadLetters()).toBe(before + 3);
  });

  describe('a consumer killed with SIGKILL mid-job', () => {
    const children: ChildProcess[] = [];
    const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'userforge-consumer-'));
    const spawnConsumer = (name: string) => {
      const out = fs.openSync(path.join(logDir, `${name}.log`), 'a');
      const { cmd, args } = tsxCommand('services/consumer/src/main.ts');
      const child = spawn(cmd, args, {
        cwd: REPO_ROOT,
        env: { ...process.env, ...consumerEnv, METRICS_PORT: '0' },
        stdio: ['ignore', out, out],
      });
      children.push(child);
      return child;
    };
    beforeAll(async () => {
      await consumer?.stop();
      consumer = undefined;
    });
    afterAll(() => {
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    });

    it('loses and duplicates nothing once a replacement finishes the job', async () => {
      const doomed = spawnConsumer('doomed');
      const { body: job } = await json<JobView>(await post(`${base}/v1/jobs`, { count: 60_000, chunkSize: 2_000, seed: 11 }));
      await waitUntil(() => getJob(job.id), (j) => j.usersStored >= 6_000, 90_000);
      doomed.kill('SIGKILL');
      const before = await getJob(job.id);
      expect(before.state).not.toBe('succeeded');
      spawnConsumer('replacement');
      const done = await waitForState(job.id, 'succeeded', 150_000);
      expect(done.usersStored).toBe(60_000);
      const users = await db.collection<UserDocument>('users').find({ jobId: job.id }, { projection: { email: 1 } }).toArray();
      expect(users).toHaveLength(60_000);
      expect(new Set(users.map((u) => u.email)).size).toBe(60_000);
    });
  });
});
