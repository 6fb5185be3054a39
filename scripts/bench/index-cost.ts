/**
 * What each index costs bulk generation: inserts the same users into the running stack's database
 * under growing index sets, in one run, and reports users/s for each relative to `_id` alone.
 *   npm run bench:index-cost -- --users 100000
 */
import { parseArgs } from 'node:util';
import { MongoClient, type IndexDescription } from 'mongodb';
import { chunkMessage, planJob } from '@userforge/jobs';
import { generateChunk, type UserDocument } from '@userforge/users';
import { appEnv, loadStackSettings } from '@userforge/devstack';

const { values } = parseArgs({
  options: { users: { type: 'string', default: '100000' }, concurrency: { type: 'string', default: '4' }, rounds: { type: 'string', default: '2' } },
});
const ROUNDS = Number(values.rounds);
const USERS = Number(values.users);
const CONCURRENCY = Number(values.concurrency);

const SETS: Record<string, IndexDescription[]> = {
  id_only: [],
  email_unique: [{ key: { email: 1 }, unique: true }],
  plus_job: [{ key: { email: 1 }, unique: true }, { key: { jobId: 1 } }],
  plus_read_filters: [
    { key: { email: 1 }, unique: true },
    { key: { jobId: 1 } },
    { key: { 'address.country': 1, _id: 1 } },
    { key: { gender: 1, _id: 1 } },
  ],
};

function batches(): UserDocument[][] {
  const plan = planJob(USERS);
  const job = { id: 'd'.repeat(24), ...plan, seed: 7, seqBase: 0, locale: 'en' as const, createdAt: new Date() };
  const out: UserDocument[][] = [];
  for (let i = 0; i < plan.chunksTotal; i++) for (const b of generateChunk(chunkMessage(job, i), 5_000)) out.push(b);
  return out;
}

async function main() {
  const url = appEnv(loadStackSettings()).MONGO_URL.replace(/\/[^/]*$/, '/userforge_bench_indexes');
  const client = await MongoClient.connect(url);
  const db = client.db();
  const data = batches();
  const rates: Record<string, number> = {};
  // Rounds interleave the sets so drift on a noisy machine hits all of them; the best round counts.
  for (let round = 0; round < ROUNDS; round++) for (const [name, indexes] of Object.entries(SETS)) {
    await db.dropDatabase();
    const users = db.collection<UserDocument>('users');
    await db.createCollection('users');
    if (indexes.length > 0) await users.createIndexes(indexes);
    let next = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let b = next++; b < data.length; b = next++) await users.insertMany(data[b]!.map((u) => ({ ...u })), { ordered: false });
      }),
    );
    const rate = USERS / (Number(process.hrtime.bigint() - started) / 1e9);
    rates[name] = Math.max(rates[name] ?? 0, rate);
    console.log(`round ${round + 1} ${name}: ${Math.round(rate)} users/s`);
  }
  await db.dropDatabase();
  await client.close();
  const base = rates.id_only!;
  console.log(JSON.stringify({ users: USERS, ...Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, { usersPerSec: Math.round(v), relative: Number((v / base).toFixed(2)) }])) }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
