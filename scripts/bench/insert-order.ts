/**
 * Does the order in which consumers insert chunks matter to the database? The same pre-generated
 * users inserted by 4 concurrent workers (as 2 consumers × 2 chunks in flight) in three orders:
 *   sequential  – chunks handed out in order (the ceiling of bench:generate);
 *   round-robin – each worker walks 3 of 12 partitions holding chunks i ≡ p (mod 12), as publishJob
 *                 assigns them;
 *   contiguous  – each partition holds one contiguous block of chunks.
 * (publishJob uses round-robin; this measured whether a different assignment would pay.)
 * Ends with one JSON line of users/s and ratios to sequential. Usage:
 *   npm run bench:insert-order -- [--users 1000000] [--rounds 2]
 */
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { chunkMessage, partitionFor, planJob } from '@userforge/jobs';
import { USER_INDEXES, generateChunk, type UserDocument } from '@userforge/users';
import { loadConsumerConfig } from '../../services/consumer/src/config';
import { appEnv, loadStackSettings } from '@userforge/devstack';

const { values } = parseArgs({ options: { users: { type: 'string', default: '1000000' }, rounds: { type: 'string', default: '2' } } });
const USERS = Number(values.users);
const ROUNDS = Number(values.rounds);
const WORKERS = 4;
const PARTITIONS = 12;
const CHUNK_SIZE = 10_000;
const BATCH = loadConsumerConfig(process.env).INSERT_BATCH_SIZE;
const ORDERS = ['sequential', 'round-robin', 'contiguous'] as const;
type Order = (typeof ORDERS)[number];

/** Which chunks each worker inserts, in order; null = one shared queue in chunk order. */
function queues(order: Order, chunksTotal: number): number[][] | null {
  if (order === 'sequential') return null;
  const byPartition: number[][] = Array.from({ length: PARTITIONS }, () => []);
  for (let i = 0; i < chunksTotal; i++) {
    byPartition[order === 'round-robin' ? partitionFor(i, PARTITIONS) : Math.floor((i * PARTITIONS) / chunksTotal)]!.push(i);
  }
  const perWorker = PARTITIONS / WORKERS;
  return Array.from({ length: WORKERS }, (_, w) => byPartition.slice(w * perWorker, (w + 1) * perWorker).flat());
}

async function main() {
  const url = appEnv(loadStackSettings()).MONGO_URL.replace(/\/[^/]*$/, '/userforge_bench_insert_order');
  const client = await MongoClient.connect(url);
  const db = client.db();
  const plan = planJob(USERS, CHUNK_SIZE);
  const job = { id: 'b'.repeat(24), ...plan, seed: 2024, seqBase: 0, locale: 'en' as const, createdAt: new Date() };
  const chunks = Array.from({ length: plan.chunksTotal }, (_, i) => [...generateChunk(chunkMessage(job, i), BATCH)]);
  const rates: Record<Order, number[]> = { sequential: [], 'round-robin': [], contiguous: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const order of ORDERS) {
      await db.dropDatabase();
      const users = db.collection<UserDocument>('users');
      for (const { key, ...options } of USER_INDEXES) await users.createIndex(key, options);
      const plans = queues(order, plan.chunksTotal);
      const insertChunk = async (c: number) => {
        for (const batch of chunks[c]!) await users.insertMany(batch, { ordered: false });
      };
      let next = 0;
      const started = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: WORKERS }, async (_, w) => {
          if (plans) for (const c of plans[w]!) await insertChunk(c);
          else for (let c = next++; c < chunks.length; c = next++) await insertChunk(c);
        }),
      );
      const rate = USERS / (Number(process.hrtime.bigint() - started) / 1e9);
      rates[order].push(rate);
      console.log(`[bench] round ${round + 1} ${order}: ${Math.round(rate)} users/s`);
    }
  }
  await db.dropDatabase();
  await client.close();
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const seq = mean(rates.sequential);
  console.log(
    JSON.stringify({
      users: USERS,
      rounds: ROUNDS,
      sequentialUsersPerSec: Math.round(seq),
      roundRobinUsersPerSec: Math.round(mean(rates['round-robin'])),
      contiguousUsersPerSec: Math.round(mean(rates.contiguous)),
      roundRobinRatio: Number((mean(rates['round-robin']) / seq).toFixed(2)),
      contiguousRatio: Number((mean(rates.contiguous) / seq).toFixed(2)),
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
