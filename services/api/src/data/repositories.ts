import { JobRepository } from '@userforge/jobs';
import type { Redis } from '@userforge/platform';
import { ActivityRepository, UserOutboxRepository, UserRepository, UserTallyRepository } from '@userforge/users';
import type { Db } from 'mongodb';

/** The repositories the API reads and writes through, each with its indexes made sure of. */
export async function openRepositories(db: Db, redis: Redis) {
  const repos = {
    jobs: new JobRepository(db),
    users: new UserRepository(db),
    tally: new UserTallyRepository(db, redis),
    activities: new ActivityRepository(db, redis),
    outbox: new UserOutboxRepository(db),
  };
  // The users collection's indexes are the consumers' to build (they write it in bulk).
  await Promise.all([repos.jobs.ensureIndexes(), repos.activities.ensureIndexes(), repos.tally.ensureIndexes(), repos.outbox.ensureIndexes()]);
  return repos;
}
