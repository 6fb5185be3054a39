/**
 * Which FerretDB backend should the local stack use? Inserts the same user-shaped documents into
 * FerretDB on SQLite and on PostgreSQL, each on its own isolated server, in one run.
 *
 *   npm run bench:mongo-backends -- --docs 100000 --batch 1000 --concurrency 4
 */
import { MongoClient, type Document } from 'mongodb';
import { parseArgs } from 'node:util';
import { isolatedSettings, startIsolatedStack } from '@userforge/devstack';

const { values } = parseArgs({
  options: {
    docs: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '4' },
  },
});
const docs = Number(values.docs);
const batch = Number(values.batch);
const concurrency = Number(values.concurrency);
for (const [k, v] of Object.entries({ docs, batch, concurrency })) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${k} must be a positive integer`);
}

const COUNTRIES = ['Germany', 'Brazil', 'Japan', 'Kenya', 'Canada', 'India', 'France', 'Mexico'];

function user(i: number): Document {
  return {
    _id: `bench-${i.toString(36).padStart(8, '0')}`,
    seq: i,
    email: `user.${i}@example.com`,
    username: `user_${i}`,
    name: { first: `First${i % 997}`, last: `Last${i % 991}` },
    gender: i % 2 ? 'female' : 'male',
    phone: `+1-555-${String(i % 10000).padStart(4, '0')}`,
    address: { street: `${i % 500} Main Street`, city: `City ${i % 300}`, country: COUNTRIES[i % COUNTRIES.length] },
    company: `Company ${i % 1000}`,
    jobTitle: 'Engineer',
    avatar: `https://avatars.example.com/${i}.png`,
    createdAt: new Date(1_700_000_000_000 + i * 1000),
    lastActive: new Date(1_700_000_000_000 + i * 2000),
  };
}

async function measure(url: string): Promise<number> {
  const client = await MongoClient.connect(url);
  try {
    const col = client.db('bench').collection('users');
    await col.createIndex({ email: 1 }, { unique: true });
    await col.createIndex({ createdAt: -1, _id: -1 });
    await col.createIndex({ 'address.country': 1 });
    const batches = Math.ceil(docs / batch);
    let next = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let b = next++; b < batches; b = next++) {
          const from = b * batch;
          const rows = Array.from({ length: Math.min(batch, docs - from) }, (_, k) => user(from + k));
          await col.insertMany(rows, { ordered: false });
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const stored = await col.countDocuments();
    if (stored !== docs) throw new Error(`expected ${docs} documents, found ${stored}`);
    return docs / seconds;
  } finally {
    await client.close();
  }
}

async function main() {
  const rates: Record<string, number> = {};
  for (const backend of ['sqlite', 'pg'] as const) {
    const settings = { ...(await isolatedSettings(`bench-${backend}`)), USERFORGE_MONGO_BACKEND: backend };
    const stack = await startIsolatedStack(settings, ['mongo']);
    try {
      rates[backend] = await measure(stack.env.MONGO_URL);
      console.log(`${backend}: ${Math.round(rates[backend]!)} docs/s (${docs} docs, batch ${batch}, concurrency ${concurrency})`);
    } finally {
      await stack.stop();
    }
  }
  const sqlite = rates.sqlite!;
  const pg = rates.pg!;
  console.log(
    JSON.stringify({
      docs,
      sqliteDocsPerSec: Math.round(sqlite),
      pgDocsPerSec: Math.round(pg),
      sqliteToPgRatio: Number((sqlite / pg).toFixed(2)),
      faster: sqlite >= pg ? 'sqlite' : 'pg',
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
