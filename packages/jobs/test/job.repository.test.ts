import { MongoClient, type Db } from 'mongodb';
import { JobRepository, createJob } from '../src';
import { testMongoUrl } from '@userforge/testkit';

/** Chunk completions against the real MongoDB-wire database: exact counts under concurrency. */
describe('JobRepository chunk completions (real database)', () => {
  let client: MongoClient;
  let db: Db;
  let jobs: JobRepository;

  beforeAll(async () => {
    client = await MongoClient.connect(testMongoUrl('job_repository'));
    db = client.db();
    await db.dropDatabase();
    jobs = new JobRepository(db);
    await jobs.ensureIndexes();
  });

  afterAll(async () => {
    await db.dropDatabase();
    await client.close();
  });

  it('counts every chunk once when completions race and chunks are delivered twice', async () => {
    const job = await createJob(jobs, { count: 4_005, chunkSize: 100, seed: 1 });
    await jobs.markRunning(job._id, new Date());
    const chunks = Array.from({ length: job.chunksTotal }, (_, i) => i);
    // Every chunk twice, the second deliveries shuffled in among the first, many at once.
    const deliveries = [...chunks, ...chunks.map((i) => (i * 17) % job.chunksTotal)];
    const results = [];
    for (let i = 0; i < deliveries.length; i += 16) {
      const wave = deliveries.slice(i, i + 16).map((chunkIndex) =>
        jobs.recordChunkDone({ jobId: job._id, chunkIndex, count: chunkIndex === job.chunksTotal - 1 ? 5 : 100 }, new Date()),
      );
      results.push(...(await Promise.all(wave)));
    }

    expect(results.filter((r) => r.completed)).toHaveLength(1);
    const done = await jobs.findById(job._id);
    expect(done).toMatchObject({ state: 'succeeded', chunksDone: 41, chunksTotal: 41, usersStored: 4_005 });
    const completions = await db.collection('job_completions').find({ jobId: job._id }).sort({ _id: 1 }).toArray();
    expect(completions).toHaveLength(41);
    // Ordinals 0…40 without gaps, each chunk exactly once.
    expect(completions.map((c) => Number(String(c._id).split(':')[1]))).toEqual(chunks);
    expect(new Set(completions.map((c) => c.chunkIndex)).size).toBe(41);
  });

  it('reports partial progress from the highest ordinal, and the last chunk’s smaller size', async () => {
    const job = await createJob(jobs, { count: 250, chunkSize: 100, seed: 2 });
    await jobs.markRunning(job._id, new Date());
    await jobs.recordChunkDone({ jobId: job._id, chunkIndex: 2, count: 50 }, new Date());
    expect(await jobs.findById(job._id)).toMatchObject({ state: 'running', chunksDone: 1, usersStored: 50 });
    await jobs.recordChunkDone({ jobId: job._id, chunkIndex: 0, count: 100 }, new Date());
    expect(await jobs.findById(job._id)).toMatchObject({ state: 'running', chunksDone: 2, usersStored: 150 });
    // Another job's completions never count towards this one.
    const other = await createJob(jobs, { count: 100, chunkSize: 100, seed: 3 });
    await jobs.recordChunkDone({ jobId: other._id, chunkIndex: 0, count: 100 }, new Date());
    expect(await jobs.findById(job._id)).toMatchObject({ chunksDone: 2 });
  });
});
