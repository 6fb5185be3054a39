/**
 * Generation benchmark, against the running stack's servers (`npm run stack:up`):
 *   (a) the pipeline end to end: POST /v1/jobs → job `succeeded`, with its own API and consumers;
 *   (b) the sink ceiling: the same users, pre-generated, inserted by the raw driver from one process
 *       into the same server with the same indexes;
 *   (c) the original design: one message, one consumer, mongoose `Model.create()` on arrays of 1,000.
 * Ends with one JSON line. Usage: npm run bench:generate -- --users 1000000 [--consumers 2]
 *   [--chunk-size N] [--pipeline-only | --skip-naive] [--consumer-node-args "--cpu-prof …"]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import mongoose from 'mongoose';
import type { JobView } from '@userforge/contracts';
import { chunkMessage, planJob } from '@userforge/jobs';
import { createKafka, createLogger } from '@userforge/platform';
import { USER_INDEXES, generateChunk, type UserDocument } from '@userforge/users';
import { loadConsumerConfig } from '../../services/consumer/src/config';
import { appEnv, tsxCommand, waitForHttp, freePort, REPO_ROOT, loadStackSettings } from '@userforge/devstack';
import { auditJob } from './audit-job';
import { jobTimeline } from './job-timeline';
import { cpuCounters, cpuSecondsByRole, cpuShares, cpuSnapshot, systemShareByRole } from './cpu-usage';
import { metricSum } from './metrics-text';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '1000000' },
    consumers: { type: 'string', default: '2' },
    'chunk-size': { type: 'string' },
    'insert-concurrency': { type: 'string', default: '4' },
    /** Only the pipeline: for comparing settings such as --chunk-size within one session. */
    'pipeline-only': { type: 'boolean', default: false },
    /** Pipeline and ceiling, without the (slow) original design: for A/B runs of the pipeline. */
    'skip-naive': { type: 'boolean', default: false },
    /** Extra Node.js flags for the consumers, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof". */
    'consumer-node-args': { type: 'string', default: '' },
  },
});
const USERS = Number(values.users);
const CONSUMERS = Number(values.consumers);
const INSERT_CONCURRENCY = Number(values['insert-concurrency']);
const CHUNK_SIZE = values['chunk-size'] ? Number(values['chunk-size']) : undefined;
const NAIVE_USERS = Math.min(USERS, 100_000);
const CONSUMER_NODE_ARGS = values['consumer-node-args'].split(' ').filter(Boolean);
/** The consumer's default insert batch (INSERT_BATCH_SIZE), so the ceiling inserts the same batches. */
const INSERT_BATCH_SIZE = loadConsumerConfig(process.env).INSERT_BATCH_SIZE;
for (const [k, v] of Object.entries({ USERS, CONSUMERS, INSERT_CONCURRENCY })) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`${k} must be a positive integer`);
}

const env = appEnv(loadStackSettings());
const mongoUrl = (db: string) => env.MONGO_URL.replace(/\/[^/]*$/, `/${db}`);
const log = (m: string) => console.log(`[bench] ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'userforge-bench-'));

function spawnApp(entry: string, name: string, extra: Record<string, string>): ChildProcess {
  const { cmd, args } = tsxCommand(entry, name.startsWith('consumer') ? CONSUMER_NODE_ARGS : []);
  const out = fs.openSync(path.join(logDir, `${name}.log`), 'a');
  return spawn(cmd, args, { cwd: REPO_ROOT, env: { ...process.env, ...env, LOG_LEVEL: 'warn', ...extra }, stdio: ['ignore', out, out] });
}


/** Peak resident set (VmHWM) of a live process, in MB. */
function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

async function pipeline() {
  const dbName = 'userforge_bench_pipeline';
  const client = await MongoClient.connect(mongoUrl(dbName));
  await client.db().dropDatabase();
  const apiPort = await freePort();
  const group = `bench-${randomUUID()}`;
  const children: ChildProcess[] = [];
  try {
    children.push(spawnApp('services/api/src/main.ts', 'api', { MONGO_URL: mongoUrl(dbName), PORT: String(apiPort), HOST: '127.0.0.1' }));
    const consumerPorts: number[] = [];
    for (let i = 0; i < CONSUMERS; i++) {
      const port = await freePort();
      consumerPorts.push(port);
      children.push(
        spawnApp('services/consumer/src/main.ts', `consumer-${i}`, {
          MONGO_URL: mongoUrl(dbName),
          METRICS_PORT: String(port),
          KAFKA_GROUP_ID: group,
          // A fresh group reads only what is published from now on, not old chunks of other databases.
          KAFKA_FROM_BEGINNING: 'false',
        }),
      );
    }
    await waitForHttp(`http://127.0.0.1:${apiPort}/readyz`, 90_000, `logs in ${logDir}`);
    for (const port of consumerPorts) await waitForHttp(`http://127.0.0.1:${port}/readyz`, 90_000, `logs in ${logDir}`);
    await sleep(2_000); // let the group settle and the new members resolve their start offsets
    log(`pipeline: ${CONSUMERS} consumers ready, starting a ${USERS}-user job`);
    const cpuBefore = cpuSnapshot();
    const machineBefore = cpuCounters();
    const started = Date.now();
    const res = await fetch(`http://127.0.0.1:${apiPort}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ count: USERS, seed: 2024, ...(CHUNK_SIZE ? { chunkSize: CHUNK_SIZE } : {}) }),
    });
    if (res.status !== 202) throw new Error(`job not accepted: ${res.status} ${await res.text()}`);
    let job = (await res.json()) as JobView;
    let lastLog = 0;
    while (job.state !== 'succeeded') {
      if (job.state === 'failed' || job.state === 'cancelled') throw new Error(`job ended ${job.state}`);
      // Polled slowly: the end time is the job's own finishedAt, and fast polling would take CPU
      // from the pipeline being measured.
      await sleep(1_000);
      job = (await (await fetch(`http://127.0.0.1:${apiPort}/v1/jobs/${job.id}`)).json()) as JobView;
      if (Date.now() - lastLog > 10_000) {
        lastLog = Date.now();
        log(`pipeline: ${job.usersStored}/${USERS} users, ${job.usersPerSec} users/s`);
      }
    }
    const seconds = (Date.parse(job.finishedAt!) - started) / 1e3;
    const cpuAfter = cpuSnapshot();
    const shares = cpuShares(machineBefore, cpuCounters());
    if (shares) log(`pipeline: the machine's CPU during the job ${JSON.stringify(shares)}`);
    const cpu = cpuSecondsByRole(cpuBefore, cpuAfter);
    log(`pipeline: CPU seconds by role ${JSON.stringify(cpu)}`);
    log(`pipeline: system-time share by role ${JSON.stringify(systemShareByRole(cpuBefore, cpuAfter))}`);
    // Users found already stored were generated, sent and refused again: work redone for chunks delivered twice.
    let alreadyStored = 0;
    for (const port of consumerPorts) {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      alreadyStored += metricSum(text, 'userforge_users_already_stored_total');
    }
    log(`pipeline: users the consumers found already stored ${alreadyStored}`);
    log(`pipeline: timeline from the POST ${JSON.stringify(await jobTimeline(client.db(), { id: job.id, createdAt: new Date(job.createdAt) }, started, USERS))}`);
    const rss = Math.max(...children.slice(1).map((c) => peakRssMb(c.pid!)));
    const jobDoc = await client.db().collection<{ _id: string; seqBase: number }>('jobs').findOne({ _id: job.id });
    const { duplicates, missing } = await auditJob(client.db(), job.id, jobDoc!.seqBase, USERS);
    log(`pipeline: ${USERS} users in ${seconds.toFixed(1)} s; duplicates ${duplicates}, missing ${missing}; consumer peak RSS ${rss.toFixed(0)} MB`);
    return { seconds, usersPerSec: USERS / seconds, duplicates, missing, consumerPeakRssMb: rss, chunkSize: job.chunkSize, consumerCpuSeconds: cpu.consumer ?? 0 };
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await sleep(1_000);
    await client.db().dropDatabase().catch(() => undefined);
    await client.close();
  }
}

/** The users of a job, in insert batches as the consumers make them. */
function allUsers(count: number, chunkSize: number, batchSize: number): UserDocument[][] {
  const plan = planJob(count, chunkSize);
  const job = { id: 'b'.repeat(24), ...plan, seed: 2024, seqBase: 0, locale: 'en' as const, createdAt: new Date() };
  const batches: UserDocument[][] = [];
  for (let i = 0; i < plan.chunksTotal; i++) for (const batch of generateChunk(chunkMessage(job, i), batchSize)) batches.push(batch);
  return batches;
}

async function ceiling(chunkSize: number) {
  const client = await MongoClient.connect(mongoUrl('userforge_bench_ceiling'));
  const db = client.db();
  await db.dropDatabase();
  const users = db.collection<UserDocument>('users');
  for (const { key, ...options } of USER_INDEXES) await users.createIndex(key, options);
  const batches = allUsers(USERS, chunkSize, INSERT_BATCH_SIZE);
  log(`ceiling: ${USERS} users pre-generated, inserting with ${INSERT_CONCURRENCY} concurrent insertMany calls`);
  // Collect generation's garbage before the snapshot: left pending, it is collected during the
  // inserts and counted as serialisation CPU, more or less of it from run to run.
  (globalThis as { gc?: () => void }).gc?.();
  let next = 0;
  const cpuBefore = cpuSnapshot();
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: INSERT_CONCURRENCY }, async () => {
      for (let b = next++; b < batches.length; b = next++) await users.insertMany(batches[b]!, { ordered: false });
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = cpuSecondsByRole(cpuBefore, cpuSnapshot());
  log(`ceiling: CPU seconds by role ${JSON.stringify(cpu)}`);
  await db.dropDatabase();
  await client.close();
  log(`ceiling: ${USERS} users in ${seconds.toFixed(1)} s`);
  // The bench process only serialises and sends here (its users were generated before the snapshot).
  return { usersPerSec: USERS / seconds, serialiseCpuSeconds: cpu.bench ?? 0 };
}

/** The original design, faithfully: one message, one consumer, Model.create() per 1,000 users. */
async function naive() {
  const conn = await mongoose.createConnection(mongoUrl('userforge_bench_naive')).asPromise();
  await conn.dropDatabase();
  const schema = new mongoose.Schema(
    {
      name: { first: String, last: String },
      email: { type: String, unique: true },
      username: String,
      phone: String,
      gender: String,
      birthDate: Date,
      avatar: String,
      address: { street: String, city: String, country: String },
      company: String,
      jobTitle: String,
      lastActive: Date,
    },
    { timestamps: true },
  );
  const User = conn.model('User', schema);
  await User.createIndexes();
  const kafka = createKafka({ clientId: 'bench-naive', brokers: env.KAFKA_BROKERS.split(','), logger: createLogger('bench', 'silent') });
  const topic = `bench.naive.${randomUUID()}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: topic });
  await Promise.all([producer.connect(), consumer.connect()]);
  await consumer.subscribe({ topic, fromBeginning: true });
  const started = process.hrtime.bigint();
  const finished = new Promise<void>((resolve, reject) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        try {
          const count = Number(JSON.parse(message.value!.toString()).count);
          for (const batch of allUsers(count, 1_000, 1_000)) {
            await User.create(batch.map(({ _id, seq, jobId, ...fields }) => fields));
          }
          resolve();
        } catch (err) {
          reject(err);
        }
      },
    });
  });
  await producer.send({ topic, messages: [{ value: JSON.stringify({ count: NAIVE_USERS }) }] });
  await finished;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const stored = await User.countDocuments();
  await Promise.all([producer.disconnect(), consumer.disconnect()]);
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  await conn.dropDatabase();
  await conn.close();
  if (stored !== NAIVE_USERS) throw new Error(`naive stored ${stored} of ${NAIVE_USERS}`);
  log(`naive: ${NAIVE_USERS} users in ${seconds.toFixed(1)} s`);
  return NAIVE_USERS / seconds;
}

function generatorSpeed(): number {
  const spec = { jobId: 'c'.repeat(24), chunkIndex: 0, seed: 1, seqStart: 0, count: 200_000, locale: 'en' as const, createdAt: new Date().toISOString() };
  for (const _ of generateChunk({ ...spec, count: 20_000 })) void _; // warm up
  const started = process.hrtime.bigint();
  let n = 0;
  for (const batch of generateChunk(spec)) n += batch.length;
  return n / (Number(process.hrtime.bigint() - started) / 1e9);
}

async function main() {
  const generatorUsersPerSecPerCore = generatorSpeed();
  log(`generator: ${Math.round(generatorUsersPerSecPerCore)} users/s on one core`);
  const p = await pipeline();
  if (values['pipeline-only']) {
    console.log(JSON.stringify({ users: USERS, chunkSize: p.chunkSize, seconds: Number(p.seconds.toFixed(1)), usersPerSec: Math.round(p.usersPerSec), duplicates: p.duplicates, missing: p.missing, consumerPeakRssMb: Math.round(p.consumerPeakRssMb) }));
    return;
  }
  const { usersPerSec: ceilingUsersPerSec, serialiseCpuSeconds } = await ceiling(p.chunkSize);
  const naiveUsersPerSec = values['skip-naive'] ? Number.NaN : await naive();
  const round = (x: number, d = 0) => Number(x.toFixed(d));
  console.log(
    JSON.stringify({
      users: USERS,
      seconds: round(p.seconds, 1),
      usersPerSec: round(p.usersPerSec),
      ceilingUsersPerSec: round(ceilingUsersPerSec),
      ratioToCeiling: round(p.usersPerSec / ceilingUsersPerSec, 2),
      naiveUsersPerSec: round(naiveUsersPerSec),
      speedupVsNaive: round(p.usersPerSec / naiveUsersPerSec, 1),
      duplicates: p.duplicates,
      missing: p.missing,
      consumerPeakRssMb: round(p.consumerPeakRssMb),
      // The consumers' CPU in the pipeline over the driver's own serialisation of the same users.
      consumerCpuRatio: round(p.consumerCpuSeconds / serialiseCpuSeconds, 2),
      generatorUsersPerSecPerCore: round(generatorUsersPerSecPerCore),
    }),
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
