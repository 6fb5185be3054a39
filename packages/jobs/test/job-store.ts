import { MongoClient, type Db } from 'mongodb';
import type { JobView } from '@userforge/contracts';
import { JobRepository, type JobDeps } from '../src';
import { testMongoUrl } from '@userforge/testkit';

export interface RecordingJobStore {
  db: Db;
  jobs: JobRepository;
  /** The use cases' dependencies, recording the jobs scheduled for publishing and the views announced. */
  deps: JobDeps & { scheduled: string[]; announced: JobView[] };
  close(): Promise<void>;
}

/** A fresh database of its own (dropped now and on close) with the job repository's indexes. */
export async function openJobStore(name: string): Promise<RecordingJobStore> {
  const client = await MongoClient.connect(testMongoUrl(name));
  const db = client.db();
  await db.dropDatabase();
  const jobs = new JobRepository(db);
  await jobs.ensureIndexes();
  const scheduled: string[] = [];
  const announced: JobView[] = [];
  const deps = { jobs, publisher: { schedule: (id: string) => void scheduled.push(id) }, onProgress: (job: JobView) => void announced.push(job), scheduled, announced };
  return {
    db,
    jobs,
    deps,
    async close() {
      await db.dropDatabase();
      await client.close();
    },
  };
}
