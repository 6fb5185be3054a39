import { JobRepository } from '@userforge/jobs';
import type { Redis } from '@userforge/platform';
import { ActivityRepository, openPurgeStores } from '@userforge/users';
import type { Db } from 'mongodb';

/** The repositories the API reads and writes through, each with its indexes made sure of. */
export async function openRepositories(db: Db, redis: Redis) {
  const jobs = new JobRepository(db);
  const activities = new ActivityRepository(db, redis);
  // Users, tally and outbox are opened as every process that purges users opens them.
  const [stores] = await Promise.all([openPurgeStores(db, redis), jobs.ensureIndexes(), activities.ensureIndexes()]);
  return { jobs, activities, ...stores };
}
