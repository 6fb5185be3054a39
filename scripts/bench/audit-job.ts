/**
 * Exact audit of a generation job: reads every user of the job by sequence number and counts
 * duplicates and holes. `npm run audit:job -- <jobId>` audits a job in the running stack.
 */
import { MongoClient, type Db } from 'mongodb';
import { isObjectIdHex } from '@userforge/contracts';
import { JobRepository } from '@userforge/jobs';
import { appEnv, loadStackSettings } from '@userforge/devstack';

/** Sequence numbers per range query; two ranges are read at once (the database has two cores to use). */
const SLICE = 1_000_000;
const READERS = 2;

export async function auditJob(db: Db, jobId: string, seqBase: number, count: number): Promise<{ stored: number; duplicates: number; missing: number }> {
  const seen = new Uint8Array(count);
  let stored = 0;
  let duplicates = 0;
  // A job's users are exactly its reserved sequence range, read through the `seq` index.
  const readSlice = async (from: number) => {
    const filter = { seq: { $gte: seqBase + from, $lt: seqBase + Math.min(count, from + SLICE) } };
    for await (const doc of db.collection('users').find(filter, { projection: { _id: 0, seq: 1, jobId: 1 }, batchSize: 50_000 })) {
      stored++;
      const i = (doc.seq as number) - seqBase;
      if (doc.jobId !== jobId || seen[i]) duplicates++;
      else seen[i] = 1;
    }
  };
  let next = 0;
  await Promise.all(
    Array.from({ length: READERS }, async () => {
      for (let from = next; from < count; from = next) {
        next += SLICE;
        await readSlice(from);
      }
    }),
  );
  return { stored, duplicates, missing: seen.reduce((n, v) => n + (v ? 0 : 1), 0) };
}

if (require.main === module) {
  const jobId = process.argv[2];
  if (!jobId || !isObjectIdHex(jobId)) {
    console.error('usage: npm run audit:job -- <24-hex job id>');
    process.exit(2);
  }
  void (async () => {
    const client = await MongoClient.connect(appEnv(loadStackSettings()).MONGO_URL);
    // Through the repository: state and progress are derived from outcomes and chunk completions.
    const job = await new JobRepository(client.db()).findById(jobId);
    if (!job) throw new Error(`job ${jobId} not found`);
    const started = Date.now();
    const result = await auditJob(client.db(), jobId, job.seqBase, job.count);
    await client.close();
    console.log(JSON.stringify({ jobId, state: job.state, count: job.count, usersStored: job.usersStored, ...result, auditSeconds: (Date.now() - started) / 1000 }));
  })().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
