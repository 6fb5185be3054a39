import type { Redis } from 'ioredis';
import type { Db } from 'mongodb';
import type { PurgeDeps } from '../domain/purge-job-users';
import { invalidateListings } from './listing-cache';
import { UserOutboxRepository } from './user-outbox.repository';
import { UserTallyRepository } from './user-tally.repository';
import { UserRepository } from './user.repository';

/** The stores a purge of users writes, besides the jobs' own. */
export interface PurgeStores {
  users: UserRepository;
  tally: UserTallyRepository;
  outbox: UserOutboxRepository;
}

/**
 * Opens the stores a purge writes, their indexes made sure of (a process that purges may be the
 * first to write the tally or the outbox). The users collection's indexes are the consumers' to build.
 */
export async function openPurgeStores(db: Db, redis: Redis): Promise<PurgeStores> {
  const stores = { users: new UserRepository(db), tally: new UserTallyRepository(db, redis), outbox: new UserOutboxRepository(db) };
  await Promise.all([stores.tally.ensureIndexes(), stores.outbox.ensureIndexes()]);
  return stores;
}

/**
 * What a purge of a job's users needs, built the same way by every process that runs one (the API's
 * `DELETE /v1/jobs/{id}/users`, the operator's `reclaimPolicy: Delete`): its repositories, cached
 * listings hidden through the shared listing version, and the outbox relay to wake — a process
 * without a relay of its own passes a no-op, and the relay's poll publishes the events.
 */
export function purgeDeps(
  stores: PurgeStores & { jobs: PurgeDeps['jobs'] },
  redis: Redis,
  opts: { relay: PurgeDeps['relay']; windowSize?: number },
): PurgeDeps {
  const { jobs, users, tally, outbox } = stores;
  return {
    jobs,
    users,
    tally,
    outbox,
    relay: opts.relay,
    invalidateListings: () => invalidateListings(redis, tally.keys),
    ...(opts.windowSize !== undefined ? { windowSize: opts.windowSize } : {}),
  };
}
